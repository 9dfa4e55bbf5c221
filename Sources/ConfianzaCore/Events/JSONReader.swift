/// A strict JSON reader (RFC 8259) that keeps what Foundation's readers lose: whether a number was
/// written with a fraction or exponent (`0.0` stays a double, `0` an integer), and booleans apart from
/// numbers. Depth is limited, so hostile input cannot exhaust the stack.
public struct JSONReader {
    public struct Failure: Error, Equatable, CustomStringConvertible {
        public var offset: Int
        public var reason: String
        public var description: String { "\(self.reason) at character \(self.offset)" }
    }

    private let bytes: [UInt8]
    private var index = 0
    private let maxDepth: Int

    public static func parse(_ text: String, maxDepth: Int = 64) throws(Failure) -> JSONValue {
        var reader = JSONReader(bytes: Array(text.utf8), maxDepth: maxDepth)
        reader.skipSpace()
        let value = try reader.value(depth: 0)
        reader.skipSpace()
        guard reader.index == reader.bytes.count else { throw reader.fail("text after the JSON value") }
        return value
    }

    private init(bytes: [UInt8], maxDepth: Int) {
        self.bytes = bytes
        self.maxDepth = maxDepth
    }

    private func fail(_ reason: String) -> Failure { Failure(offset: self.index, reason: reason) }

    private mutating func skipSpace() {
        while self.index < self.bytes.count, [0x20, 0x09, 0x0A, 0x0D].contains(self.bytes[self.index]) { self.index += 1 }
    }

    private mutating func value(depth: Int) throws(Failure) -> JSONValue {
        guard depth <= self.maxDepth else { throw self.fail("nested deeper than \(self.maxDepth)") }
        guard self.index < self.bytes.count else { throw self.fail("unexpected end") }
        switch self.bytes[self.index] {
        case UInt8(ascii: "{"): return try self.object(depth: depth)
        case UInt8(ascii: "["): return try self.array(depth: depth)
        case UInt8(ascii: "\""): return .string(try self.string())
        case UInt8(ascii: "t"): try self.literal("true"); return .bool(true)
        case UInt8(ascii: "f"): try self.literal("false"); return .bool(false)
        case UInt8(ascii: "n"): try self.literal("null"); return .null
        default: return try self.number()
        }
    }

    private mutating func literal(_ word: String) throws(Failure) {
        let expected = Array(word.utf8)
        guard self.index + expected.count <= self.bytes.count, Array(self.bytes[self.index..<self.index + expected.count]) == expected else {
            throw self.fail("unexpected character")
        }
        self.index += expected.count
    }

    private mutating func object(depth: Int) throws(Failure) -> JSONValue {
        self.index += 1
        var fields: [String: JSONValue] = [:]
        self.skipSpace()
        if self.index < self.bytes.count, self.bytes[self.index] == UInt8(ascii: "}") {
            self.index += 1
            return .object(fields)
        }
        while true {
            self.skipSpace()
            guard self.index < self.bytes.count, self.bytes[self.index] == UInt8(ascii: "\"") else { throw self.fail("expected a key") }
            let key = try self.string()
            guard fields[key] == nil else { throw self.fail("key '\(key)' appears twice") }
            self.skipSpace()
            guard self.index < self.bytes.count, self.bytes[self.index] == UInt8(ascii: ":") else { throw self.fail("expected ':'") }
            self.index += 1
            self.skipSpace()
            fields[key] = try self.value(depth: depth + 1)
            self.skipSpace()
            guard self.index < self.bytes.count else { throw self.fail("unexpected end") }
            if self.bytes[self.index] == UInt8(ascii: ",") {
                self.index += 1
                continue
            }
            guard self.bytes[self.index] == UInt8(ascii: "}") else { throw self.fail("expected ',' or '}'") }
            self.index += 1
            return .object(fields)
        }
    }

    private mutating func array(depth: Int) throws(Failure) -> JSONValue {
        self.index += 1
        var items: [JSONValue] = []
        self.skipSpace()
        if self.index < self.bytes.count, self.bytes[self.index] == UInt8(ascii: "]") {
            self.index += 1
            return .array(items)
        }
        while true {
            self.skipSpace()
            items.append(try self.value(depth: depth + 1))
            self.skipSpace()
            guard self.index < self.bytes.count else { throw self.fail("unexpected end") }
            if self.bytes[self.index] == UInt8(ascii: ",") {
                self.index += 1
                continue
            }
            guard self.bytes[self.index] == UInt8(ascii: "]") else { throw self.fail("expected ',' or ']'") }
            self.index += 1
            return .array(items)
        }
    }

    private mutating func hex4() throws(Failure) -> UInt32 {
        guard self.index + 4 <= self.bytes.count else { throw self.fail("short \\u escape") }
        var value: UInt32 = 0
        for _ in 0..<4 {
            let byte = self.bytes[self.index]
            let digit: UInt32
            switch byte {
            case 48...57: digit = UInt32(byte - 48)
            case 65...70: digit = UInt32(byte - 55)
            case 97...102: digit = UInt32(byte - 87)
            default: throw self.fail("bad \\u escape")
            }
            value = value << 4 | digit
            self.index += 1
        }
        return value
    }

    private mutating func string() throws(Failure) -> String {
        self.index += 1
        var out: [UInt8] = []
        while true {
            guard self.index < self.bytes.count else { throw self.fail("the string never ends") }
            let byte = self.bytes[self.index]
            self.index += 1
            switch byte {
            case UInt8(ascii: "\""):
                guard let text = String(validating: out, as: UTF8.self) else { throw self.fail("not valid UTF-8") }
                return text
            case UInt8(ascii: "\\"):
                guard self.index < self.bytes.count else { throw self.fail("the string never ends") }
                let escape = self.bytes[self.index]
                self.index += 1
                switch escape {
                case UInt8(ascii: "\""): out.append(34)
                case UInt8(ascii: "\\"): out.append(92)
                case UInt8(ascii: "/"): out.append(47)
                case UInt8(ascii: "b"): out.append(8)
                case UInt8(ascii: "f"): out.append(12)
                case UInt8(ascii: "n"): out.append(10)
                case UInt8(ascii: "r"): out.append(13)
                case UInt8(ascii: "t"): out.append(9)
                case UInt8(ascii: "u"):
                    var scalar = try self.hex4()
                    if (0xD800...0xDBFF).contains(scalar) {
                        guard self.index + 1 < self.bytes.count, self.bytes[self.index] == 92, self.bytes[self.index + 1] == UInt8(ascii: "u") else {
                            throw self.fail("a lone surrogate")
                        }
                        self.index += 2
                        let low = try self.hex4()
                        guard (0xDC00...0xDFFF).contains(low) else { throw self.fail("a lone surrogate") }
                        scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                    } else if (0xDC00...0xDFFF).contains(scalar) {
                        throw self.fail("a lone surrogate")
                    }
                    guard let unicode = Unicode.Scalar(scalar) else { throw self.fail("bad \\u escape") }
                    out.append(contentsOf: Array(String(Character(unicode)).utf8))
                default: throw self.fail("bad escape")
                }
            case 0..<0x20: throw self.fail("a control character in a string")
            default: out.append(byte)
            }
        }
    }

    private mutating func number() throws(Failure) -> JSONValue {
        let start = self.index
        var isInteger = true
        if self.index < self.bytes.count, self.bytes[self.index] == UInt8(ascii: "-") { self.index += 1 }
        guard self.index < self.bytes.count, (48...57).contains(self.bytes[self.index]) else { throw self.fail("unexpected character") }
        if self.bytes[self.index] == 48 {
            self.index += 1
        } else {
            while self.index < self.bytes.count, (48...57).contains(self.bytes[self.index]) { self.index += 1 }
        }
        if self.index < self.bytes.count, self.bytes[self.index] == UInt8(ascii: ".") {
            isInteger = false
            self.index += 1
            guard self.index < self.bytes.count, (48...57).contains(self.bytes[self.index]) else { throw self.fail("a digit must follow '.'") }
            while self.index < self.bytes.count, (48...57).contains(self.bytes[self.index]) { self.index += 1 }
        }
        if self.index < self.bytes.count, self.bytes[self.index] == UInt8(ascii: "e") || self.bytes[self.index] == UInt8(ascii: "E") {
            isInteger = false
            self.index += 1
            if self.index < self.bytes.count, self.bytes[self.index] == UInt8(ascii: "+") || self.bytes[self.index] == UInt8(ascii: "-") {
                self.index += 1
            }
            guard self.index < self.bytes.count, (48...57).contains(self.bytes[self.index]) else { throw self.fail("a digit must follow 'e'") }
            while self.index < self.bytes.count, (48...57).contains(self.bytes[self.index]) { self.index += 1 }
        }
        let text = String(decoding: self.bytes[start..<self.index], as: UTF8.self)
        if isInteger, let integer = Int64(text) { return .integer(integer) }
        guard let double = Double(text), double.isFinite else { throw Failure(offset: start, reason: "a number out of range") }
        return .double(double)
    }
}
