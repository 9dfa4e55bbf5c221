import NIOCore
import PostgresNIO

extension SQLStore {
    /// PostgreSQL's `COPY … FROM STDIN` for a batch of rows: one statement and one stream instead of a
    /// multi-row INSERT with a bound parameter per value, which the server must parse and plan.
    /// Text format, escaped as the format requires (bytes in hex), in pieces of about a megabyte.
    func copyRows(into table: String, columns: [String], rows: [[EventColumn]], connection: PostgresConnection) async throws {
        guard !rows.isEmpty else { return }
        try await connection.copyFrom(table: table, columns: columns, logger: self.logger) { writer in
            var buffer = ByteBuffer()
            buffer.reserveCapacity(1 << 20)
            for row in rows {
                Self.appendCopyLine(row, to: &buffer)
                if buffer.readableBytes >= 1 << 20 {
                    try await writer.write(buffer)
                    buffer.clear()
                }
            }
            if buffer.readableBytes > 0 { try await writer.write(buffer) }
        }
    }

    /// One row of `COPY`'s text format: values apart by tabs, `\N` for NULL, a backslash before the
    /// characters the format gives meaning to, bytes as `\\x` and hex digits.
    static func appendCopyLine(_ row: [EventColumn], to buffer: inout ByteBuffer) {
        for (index, value) in row.enumerated() {
            if index > 0 { buffer.writeInteger(UInt8(ascii: "\t")) }
            switch value {
            case .text(let text): Self.appendCopyText(text, to: &buffer)
            case .optionalText(let text):
                if let text { Self.appendCopyText(text, to: &buffer) } else { buffer.writeStaticString("\\N") }
            case .integer(let number): buffer.writeString(String(number))
            case .optionalInteger(let number):
                if let number { buffer.writeString(String(number)) } else { buffer.writeStaticString("\\N") }
            case .blob(let bytes): Self.appendCopyBytes(bytes, to: &buffer)
            case .optionalBlob(let bytes):
                if let bytes { Self.appendCopyBytes(bytes, to: &buffer) } else { buffer.writeStaticString("\\N") }
            }
        }
        buffer.writeInteger(UInt8(ascii: "\n"))
    }

    private static func appendCopyText(_ text: String, to buffer: inout ByteBuffer) {
        var text = text
        text.withUTF8 { bytes in
            var start = 0
            for (index, byte) in bytes.enumerated() {
                let escaped: UInt8? = switch byte {
                case UInt8(ascii: "\\"): UInt8(ascii: "\\")
                case UInt8(ascii: "\t"): UInt8(ascii: "t")
                case UInt8(ascii: "\n"): UInt8(ascii: "n")
                case UInt8(ascii: "\r"): UInt8(ascii: "r")
                default: nil
                }
                guard let escaped else { continue }
                buffer.writeBytes(UnsafeRawBufferPointer(rebasing: UnsafeRawBufferPointer(bytes)[start..<index]))
                buffer.writeInteger(UInt8(ascii: "\\"))
                buffer.writeInteger(escaped)
                start = index + 1
            }
            buffer.writeBytes(UnsafeRawBufferPointer(rebasing: UnsafeRawBufferPointer(bytes)[start..<bytes.count]))
        }
    }

    private static let hexDigits = Array("0123456789abcdef".utf8)

    private static func appendCopyBytes(_ bytes: [UInt8], to buffer: inout ByteBuffer) {
        buffer.writeStaticString("\\\\x")
        for byte in bytes {
            buffer.writeInteger(Self.hexDigits[Int(byte >> 4)])
            buffer.writeInteger(Self.hexDigits[Int(byte & 0x0F)])
        }
    }
}
