import ConfianzaCore
import Crypto
import Foundation

/// STIX 2.1 identifiers: `type--UUID`. Cyber-observables get the deterministic UUIDv5 the standard
/// defines (namespace `00abedb4-aa42-466c-9c01-fed23315a9b7` over the canonical JSON of their
/// identifying properties), so the same address has the same id in every CIRT's tools. Our own objects
/// get UUIDv5 ids in Confianza's namespace over what they describe, so exporting the same incident
/// again gives the same ids (a peer sees a new version, not a new object).
public enum STIXID {
    /// `00abedb4-aa42-466c-9c01-fed23315a9b7`, written as bytes so that no parsing can fail.
    public static let observableNamespace = UUID(uuid: (0x00, 0xab, 0xed, 0xb4, 0xaa, 0x42, 0x46, 0x6c, 0x9c, 0x01, 0xfe, 0xd2, 0x33, 0x15, 0xa9, 0xb7))
    /// `8f1b6a3e-7a0c-5d2e-9c41-3f5e2b7d9a10`: Confianza's own namespace.
    static let confianzaNamespace = UUID(uuid: (0x8f, 0x1b, 0x6a, 0x3e, 0x7a, 0x0c, 0x5d, 0x2e, 0x9c, 0x41, 0x3f, 0x5e, 0x2b, 0x7d, 0x9a, 0x10))

    public static func uuid5(namespace: UUID, name: String) -> UUID {
        var bytes = withUnsafeBytes(of: namespace.uuid) { Array($0) }
        bytes.append(contentsOf: Array(name.utf8))
        var digest = Array(Insecure.SHA1.hash(data: bytes).prefix(16))
        digest[6] = (digest[6] & 0x0F) | 0x50
        digest[8] = (digest[8] & 0x3F) | 0x80
        return UUID(uuid: (digest[0], digest[1], digest[2], digest[3], digest[4], digest[5], digest[6], digest[7],
                           digest[8], digest[9], digest[10], digest[11], digest[12], digest[13], digest[14], digest[15]))
    }

    /// The id of an observable whose identifying property is `value` (addresses, domain names, URLs).
    public static func observable(_ type: String, value: String) -> String {
        "\(type)--\(Self.uuid5(namespace: Self.observableNamespace, name: JSONValue.object(["value": .string(value)]).text).uuidString.lowercased())"
    }

    /// A stable id for one of our objects.
    public static func ours(_ type: String, _ name: String) -> String {
        "\(type)--\(Self.uuid5(namespace: Self.confianzaNamespace, name: "\(type):\(name)").uuidString.lowercased())"
    }
}

/// TLP 2.0 marking definitions (the OASIS extension `extension-definition--60a3c5c5-…`).
public enum STIXMarking {
    public static let extensionID = "extension-definition--60a3c5c5-0d10-413e-aab3-9e08dde9e88d"

    public static func id(_ tlp: TLP) -> String {
        switch tlp {
        case .clear: "marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487"
        case .green: "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb"
        case .amber: "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421"
        case .amberStrict: "marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003"
        case .red: "marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1"
        }
    }

    public static func definition(_ tlp: TLP) -> JSONValue {
        let level = String(tlp.rawValue.dropFirst(4)).lowercased()
        return .object([
            "type": .string("marking-definition"), "spec_version": .string("2.1"), "id": .string(Self.id(tlp)),
            "created": .string("2022-10-01T00:00:00.000Z"), "name": .string(tlp.rawValue),
            "extensions": .object([Self.extensionID: .object(["extension_type": .string("property-extension"), "tlp_2_0": .string(level)])]),
        ])
    }
}

/// STIX timestamps: UTC with milliseconds (`2024-05-01T00:14:34.000Z`).
enum STIXTime {
    static func string(_ date: Date) -> String {
        let base = EventTime.format(date)  // 2024-05-01T00:14:34+00:00
        let millis = Int((date.timeIntervalSince1970 * 1000).rounded(.down)) % 1000
        let fraction = String(repeating: "0", count: 3 - String(max(0, millis)).count) + String(max(0, millis))
        return String(base.dropLast(6)) + ".\(fraction)Z"
    }
}
