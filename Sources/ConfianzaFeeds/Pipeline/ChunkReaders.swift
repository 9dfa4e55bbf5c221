import Foundation

/// Reads input in chunks, so memory stays bounded whatever the file's size.
public protocol ChunkReader {
    /// The next chunk, or `nil` at the end.
    mutating func next() throws -> [UInt8]?
}

/// A file, a megabyte at a time.
public struct FileChunks: ChunkReader {
    private let handle: FileHandle
    public let path: String

    public init(path: String) throws(FeedError) {
        guard let handle = FileHandle(forReadingAtPath: path) else { throw .unreadable(path) }
        self.handle = handle
        self.path = path
    }

    public mutating func next() throws -> [UInt8]? {
        guard let data = try self.handle.read(upToCount: 1 << 20), !data.isEmpty else {
            try? self.handle.close()
            return nil
        }
        return Array(data)
    }
}

/// Bytes already in memory (an upload).
public struct MemoryChunks: ChunkReader {
    private var bytes: [UInt8]?
    public init(_ bytes: [UInt8]) { self.bytes = bytes }
    public mutating func next() throws -> [UInt8]? {
        defer { self.bytes = nil }
        return self.bytes.flatMap { $0.isEmpty ? nil : $0 }
    }
}
