// libFuzzer targets for Confianza's parsers. Built only by `scripts/fuzz` (CONFIANZA_FUZZ=1), with
// coverage instrumentation and AddressSanitizer; `CONFIANZA_FUZZ_TARGET` picks the parser.
// Each target feeds the bytes to a parser as a file would reach it, and checks what must always
// hold: the parser returns (records or a placed error), never traps, and accounts for its input.
import ConfianzaCore
import ConfianzaFeeds
import ConfianzaSTIX
import Foundation

@_silgen_name("LLVMFuzzerRunDriver")
func LLVMFuzzerRunDriver(
    _ argc: UnsafeMutablePointer<CInt>, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
    _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt
) -> CInt

let observedAt = Date(timeIntervalSince1970: 1_764_000_000)

enum Target: String, CaseIterable {
    case mail, csv, shadowserver, intelmq, stix, constituencyJSON = "constituency-json", constituencyCSV = "constituency-csv"
}

let shadowserver: ShadowserverMapping = {
    do { return try ShadowserverMapping.bundled() } catch { fatalError("the bundled Shadowserver mapping does not load: \(error)") }
}()
let reportTypes = shadowserver.reports.keys.sorted()

/// Feeds a parser in pieces of varied size (as a file read in chunks arrives), then finishes it.
func run(_ parser: inout some FeedParser, _ bytes: [UInt8]) -> Int {
    var records = 0
    var offset = 0
    var piece = 1
    while offset < bytes.count {
        let end = min(bytes.count, offset + piece)
        parser.feed(bytes[offset..<end]) { _ in records += 1 }
        offset = end
        piece = piece * 3 % 4093 + 1
    }
    parser.finish { _ in records += 1 }
    return records
}

func fuzz(_ target: Target, _ bytes: [UInt8]) {
    switch target {
    case .mail:
        var parser = MailReportParser(observedAt: observedAt, maxMessageBytes: 1 << 20)
        let records = run(&parser, bytes)
        precondition(bytes.allSatisfy { $0 == 10 || $0 == 13 || $0 == 32 || $0 == 9 } || records > 0, "a non-blank input gave no record")
        _ = try? MailReply.read(bytes)
    case .csv:
        var last = 1
        for output in CSVReader.read(bytes) {
            let line: Int
            switch output {
            case .success(let record): line = record.line
            case .failure(let error): line = error.line
            }
            precondition(line >= last, "records and errors come in the order of their lines")
            last = line
        }
    case .shadowserver:
        guard let first = bytes.first, !reportTypes.isEmpty else { return }
        var parser = ShadowserverParser(mapping: shadowserver, reportType: reportTypes[Int(first) % reportTypes.count], observedAt: observedAt)
        _ = run(&parser, Array(bytes.dropFirst()))
    case .intelmq:
        var parser = IntelMQParser(observedAt: observedAt, maxLineBytes: 1 << 16)
        _ = run(&parser, bytes)
    case .stix:
        _ = try? STIXImporter.indicators(from: String(decoding: bytes, as: UTF8.self), source: "fuzz", now: observedAt)
    case .constituencyJSON:
        _ = try? ConstituencyFile.read(bytes, format: .json, existing: .init(), replace: false, now: observedAt)
    case .constituencyCSV:
        _ = try? ConstituencyFile.read(bytes, format: .csv, existing: .init(), replace: false, now: observedAt)
    }
}

let name = ProcessInfo.processInfo.environment["CONFIANZA_FUZZ_TARGET"] ?? ""
guard let chosen = Target(rawValue: name) else {
    FileHandle.standardError.write(Data("CONFIANZA_FUZZ_TARGET must be one of: \(Target.allCases.map(\.rawValue).joined(separator: ", "))\n".utf8))
    exit(2)
}
nonisolated(unsafe) let target = chosen
var argc = CommandLine.argc
var argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = CommandLine.unsafeArgv
exit(
    LLVMFuzzerRunDriver(&argc, &argv) { data, count in
        guard let data else { return 0 }
        fuzz(target, Array(UnsafeBufferPointer(start: data, count: count)))
        return 0
    })
