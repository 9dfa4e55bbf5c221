import ConfianzaFeeds
import ConfianzaNetwork
import Testing

@Suite struct CSVReaderTests {
    static func read(_ text: String) -> [CSVReader.Output] { CSVReader.read(Array(text.utf8)) }

    static func records(_ text: String) -> [CSVRecord] {
        Self.read(text).compactMap { try? $0.get() }
    }

    @Test func plainQuotedAndMultilineFields() {
        let text = "timestamp,ip,tag\n2026-11-20 10:00:00,192.0.2.1,\"open-resolver, dns\"\n\"2026-11-20 10:05:00\",192.0.2.2,\"says \"\"hi\"\"\nthen more\"\n"
        #expect(
            Self.records(text) == [
                CSVRecord(line: 1, fields: ["timestamp", "ip", "tag"]),
                CSVRecord(line: 2, fields: ["2026-11-20 10:00:00", "192.0.2.1", "open-resolver, dns"]),
                CSVRecord(line: 3, fields: ["2026-11-20 10:05:00", "192.0.2.2", "says \"hi\"\nthen more"]),
            ])
    }

    @Test func lineEndsByteOrderMarkEmptyFieldsAndBlankLines() {
        let text = "\u{FEFF}a,b,c\r\n1,,3\r\n\r\n,\n\"\",x\rlast,line"
        #expect(
            Self.records(text) == [
                CSVRecord(line: 1, fields: ["a", "b", "c"]),
                CSVRecord(line: 2, fields: ["1", "", "3"]),
                CSVRecord(line: 4, fields: ["", ""]),
                CSVRecord(line: 5, fields: ["", "x"]),
                CSVRecord(line: 6, fields: ["last", "line"]),
            ])
    }

    @Test func emptyInputHasNoRecords() {
        #expect(Self.read("").isEmpty)
        #expect(Self.read("\n\n\r\n").isEmpty)
        #expect(CSVReader.read([0xEF, 0xBB, 0xBF]).isEmpty)
    }

    @Test func badRowsAreReportedWithTheirLineAndTheRestIsRead() {
        var bytes = Array("h1,h2\nok,1\n\"open,2\nx\"y,3\nbad\"quote,4\n".utf8)
        bytes += [0x61, 0xFF, 0x2C, 0x35, 0x0A]  // "a\xFF,5" — not UTF-8
        bytes += Array("fine,6\n\"never closed,7\n".utf8)
        let outputs = CSVReader.read(bytes)
        let errors = outputs.compactMap { output -> CSVError? in
            if case .failure(let error) = output { return error }
            return nil
        }
        let records = outputs.compactMap { try? $0.get() }
        #expect(records.map(\.line) == [1, 2, 7])
        #expect(records.last?.fields == ["fine", "6"])
        #expect(
            errors == [
                CSVError(line: 3, reason: .textAfterClosingQuote(field: 1)),
                CSVError(line: 5, reason: .quoteInUnquotedField(field: 1)),
                CSVError(line: 6, reason: .invalidUTF8(field: 1)),
                CSVError(line: 8, reason: .unterminatedQuote(field: 1)),
            ])
        #expect(errors[0].description == "line 3, field 1: text after the closing quote")
    }

    @Test func overlongRecordsAreRefusedAndReadingGoesOn() {
        var reader = CSVReader(maxRecordBytes: 16)
        var outputs: [CSVReader.Output] = []
        reader.feed(Array("short,row\n\(String(repeating: "x", count: 100)),y\nnext,row\n".utf8)) { outputs.append($0) }
        reader.finish { outputs.append($0) }
        #expect(outputs.count == 3)
        #expect((try? outputs[0].get())?.fields == ["short", "row"])
        if case .failure(let error) = outputs[1] { #expect(error == CSVError(line: 2, reason: .recordTooLong(limit: 16))) } else {
            Issue.record("expected an error")
        }
        #expect((try? outputs[2].get()) == CSVRecord(line: 3, fields: ["next", "row"]))
    }

    /// Chunks may split anywhere (inside a quote, a CRLF, a UTF-8 character or the byte-order mark):
    /// the outcome is the same as reading the whole input at once.
    @Test(arguments: 1...40)
    func chunkBoundariesDoNotMatter(seed: Int) {
        let text =
            "\u{FEFF}señal,\"dirección, IP\",nota\r\n\"ñandú\"\"s\",203.0.113.9,\"dos\r\nlíneas\"\r\nbad\"q,1,2\n\"x\"y,1\n€,,\"\"\n\"open"
        let bytes = Array(text.utf8)
        let whole = CSVReader.read(bytes)
        var generator = SeededRandom(seed: UInt64(seed))
        var reader = CSVReader()
        var outputs: [CSVReader.Output] = []
        var index = 0
        while index < bytes.count {
            let size = Int.random(in: 1...7, using: &generator)
            reader.feed(bytes[index..<min(index + size, bytes.count)]) { outputs.append($0) }
            index += size
        }
        reader.finish { outputs.append($0) }
        #expect(outputs == whole)
        #expect(whole.count == 6)
    }

    @Test func otherDelimiters() {
        #expect(
            CSVReader.read(Array("a;b\n1;\"2;3\"\n".utf8), delimiter: UInt8(ascii: ";")).compactMap { try? $0.get().fields }
                == [["a", "b"], ["1", "2;3"]])
        #expect(CSVReader.read(Array("a\tb\n".utf8), delimiter: UInt8(ascii: "\t")).compactMap { try? $0.get().fields } == [["a", "b"]])
    }
}

@Suite struct CSVRawTests {
    @Test func recordsAndErrorsKeepTheirRawBytes() {
        var reader = CSVReader(keepRaw: true)
        var outputs: [CSVReader.Output] = []
        reader.feed(Array("a,\"b\r\nc\"\r\nbad\"x,1\nlast,\"open".utf8)) { outputs.append($0) }
        reader.finish { outputs.append($0) }
        let raws = outputs.map { output -> String in
            switch output {
            case .success(let record): String(decoding: record.raw, as: UTF8.self)
            case .failure(let error): "!" + String(decoding: error.raw, as: UTF8.self)
            }
        }
        #expect(raws == ["a,\"b\r\nc\"", "!bad\"x,1", "!last,\"open"])
        #expect((try? outputs[0].get())?.fields == ["a", "b\r\nc"])
    }
}

@Suite struct CSVCommentTests {
    static func read(_ text: String, delimiter: Character = ",", comment: Character?) -> [CSVReader.Output] {
        var reader = CSVReader(delimiter: UInt8(ascii: delimiter.unicodeScalars.first!), keepRaw: true, comment: comment.map { UInt8(ascii: $0.unicodeScalars.first!) })
        var outputs: [CSVReader.Output] = []
        reader.feed(Array(text.utf8)) { outputs.append($0) }
        reader.finish { outputs.append($0) }
        return outputs
    }

    @Test func commentLinesAreSkippedEvenWhenTheyHoldQuotesOrTheDelimiter() throws {
        let text = "; Spamhaus; \"unbalanced\n  ; indented\n1.10.16.0/20 ; SBL1\n;last"
        let records = try Self.read(text, delimiter: ";", comment: ";").map { try $0.get() }
        #expect(records.map(\.fields) == [["1.10.16.0/20 ", " SBL1"]])
        #expect(records.map(\.line) == [3])
        #expect(records.first.map { String(decoding: $0.raw, as: UTF8.self) } == "1.10.16.0/20 ; SBL1")
    }

    @Test func aCommentCharacterInsideARecordIsData() throws {
        let records = try Self.read("a,#b,\"#c\"\n#x\n\"#d\",e\n", comment: "#").map { try $0.get() }
        #expect(records.map(\.fields) == [["a", "#b", "#c"], ["#d", "e"]])
    }

    @Test func withoutACommentCharacterNothingIsSkipped() throws {
        let records = try Self.read("#a,b\n", comment: nil).map { try $0.get() }
        #expect(records.map(\.fields) == [["#a", "b"]])
    }
}
