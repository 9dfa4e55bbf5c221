// swift-tools-version:6.1
import Foundation
import PackageDescription

let swiftSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("MemberImportVisibility"),
]

let package = Package(
    name: "confianza",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "confianza", targets: ["confianza"]),
        .executable(name: "confianza-benchmarks", targets: ["ConfianzaBenchmarks"]),
    ],
    dependencies: [
        // Hummingbird without its swift-configuration trait: configuration is read by the executable.
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1", traits: ["FullFoundation"]),
        .package(url: "https://github.com/hummingbird-project/hummingbird-auth.git", from: "2.5.0"),
        .package(url: "https://github.com/hummingbird-project/swift-mustache.git", from: "2.1.1"),
        .package(url: "https://github.com/vapor/sql-kit.git", from: "3.36.0"),
        .package(url: "https://github.com/vapor/sqlite-kit.git", from: "4.5.2"),
        .package(url: "https://github.com/vapor/postgres-kit.git", from: "2.17.0"),
        .package(url: "https://github.com/vapor/postgres-nio.git", from: "1.33.2"),
        .package(url: "https://github.com/vapor/sqlite-nio.git", from: "1.13.2"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-crypto.git", "3.12.3"..<"5.0.0"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.37.6"),
        .package(url: "https://github.com/x-sheep/swift-property-based.git", from: "2.0.1"),
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.37.0"),
    ],
    targets: [
        // Addresses, prefixes and longest-prefix tables: no dependencies, so benchmarks build fast.
        .target(name: "ConfianzaNetwork", swiftSettings: swiftSettings),
        .target(
            name: "ConfianzaCore",
            dependencies: [
                "ConfianzaNetwork",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "HummingbirdBcrypt", package: "hummingbird-auth"),
            ],
            resources: [.copy("Resources/Assessment"), .copy("Resources/Risk")],
            swiftSettings: swiftSettings
        ),
        // Every word a user reads, in every language: locale folders as data, and their loader.
        .target(
            name: "ConfianzaLocales",
            dependencies: ["ConfianzaCore"],
            resources: [.copy("Resources/Locales")],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "ConfianzaFeeds",
            dependencies: ["ConfianzaCore", "ConfianzaNetwork", .product(name: "Crypto", package: "swift-crypto")],
            resources: [.copy("Resources/Feeds")],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "ConfianzaStore",
            dependencies: [
                "ConfianzaCore", "ConfianzaNetwork",
                .product(name: "SQLKit", package: "sql-kit"),
                .product(name: "SQLiteKit", package: "sqlite-kit"),
                .product(name: "PostgresKit", package: "postgres-kit"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "SQLiteNIO", package: "sqlite-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "ConfianzaSTIX",
            dependencies: ["ConfianzaCore", "ConfianzaNetwork", .product(name: "Crypto", package: "swift-crypto")],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "ConfianzaMail",
            dependencies: [
                "ConfianzaCore",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "ConfianzaCollectors",
            dependencies: [
                "ConfianzaCore", "ConfianzaFeeds",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "ConfianzaServer",
            dependencies: [
                "ConfianzaCore", "ConfianzaFeeds", "ConfianzaLocales", "ConfianzaNetwork", "ConfianzaSTIX",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Mustache", package: "swift-mustache"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "NIOCore", package: "swift-nio"),
            ],
            resources: [.copy("Resources/Templates"), .copy("Resources/Static"), .copy("Resources/OpenAPI")],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "ConfianzaTestSupport",
            dependencies: [
                "ConfianzaCore", "ConfianzaStore", "ConfianzaLocales",
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Tests/Support",
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "confianza",
            dependencies: [
                "ConfianzaCore", "ConfianzaNetwork",
                "ConfianzaFeeds", "ConfianzaLocales",
                "ConfianzaStore", "ConfianzaMail", "ConfianzaSTIX", "ConfianzaCollectors",
                "ConfianzaServer",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "ConfianzaBenchmarks",
            dependencies: ["ConfianzaNetwork"],
            path: "Benchmarks/ConfianzaBenchmarks",
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "ConfianzaNetworkTests",
            dependencies: ["ConfianzaNetwork", .product(name: "PropertyBased", package: "swift-property-based")],
            swiftSettings: swiftSettings
        ),
        .testTarget(name: "ConfianzaCoreTests", dependencies: ["ConfianzaCore", "ConfianzaLocales", "ConfianzaTestSupport"], swiftSettings: swiftSettings),
        .testTarget(
            name: "ConfianzaFeedsTests",
            dependencies: [
                "ConfianzaFeeds", "ConfianzaCore", "ConfianzaNetwork", .product(name: "PropertyBased", package: "swift-property-based"),
            ],
            resources: [.copy("Fixtures")],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "ConfianzaCollectorsTests",
            dependencies: [
                "ConfianzaCollectors", "ConfianzaCore", "ConfianzaFeeds", "ConfianzaStore", "ConfianzaTestSupport",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
            ],
            resources: [.copy("Fixtures")],
            swiftSettings: swiftSettings
        ),
        .testTarget(name: "ConfianzaSTIXTests", dependencies: ["ConfianzaSTIX", "ConfianzaCore"], swiftSettings: swiftSettings),
        .testTarget(
            name: "ConfianzaMailTests",
            dependencies: [
                "ConfianzaMail", "ConfianzaCore", .product(name: "NIOCore", package: "swift-nio"), .product(name: "NIOEmbedded", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "ConfianzaStoreTests",
            dependencies: [
                "ConfianzaCore", "ConfianzaStore", "ConfianzaTestSupport", "ConfianzaFeeds", "ConfianzaNetwork", "ConfianzaSTIX",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "SQLKit", package: "sql-kit"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "ConfianzaServerTests",
            dependencies: [
                "ConfianzaCore", "ConfianzaLocales", "ConfianzaServer", "ConfianzaStore", "ConfianzaTestSupport", "ConfianzaNetwork", "ConfianzaSTIX",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOFoundationEssentialsCompat", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "confianzaTests",
            dependencies: [
                "confianza", "ConfianzaCore", "ConfianzaFeeds", "ConfianzaTestSupport",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
    ]
)

// The parsers' libFuzzer targets (`scripts/fuzz TARGET SECONDS`): only when that script asks, since
// they link libFuzzer's driver, which a normal build does not have.
if let fuzzer = ProcessInfo.processInfo.environment["CONFIANZA_FUZZER_LIBRARY"] {
    package.targets.append(
        .executableTarget(
            name: "confianza-fuzz", dependencies: ["ConfianzaCore", "ConfianzaFeeds", "ConfianzaSTIX"], path: "Fuzz",
            swiftSettings: swiftSettings, linkerSettings: [.unsafeFlags([fuzzer, "-lstdc++"])]))
}
