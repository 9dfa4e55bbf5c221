import ConfianzaCore
import Foundation
import Testing

@Suite struct FeedHealthTests {
    static let now = Date(timeIntervalSince1970: 1_780_000_000)
    static let day = 86400.0

    static func days(_ feed: String, _ ago: [Int], events: Int = 10, quarantined: Int = 0) -> [FeedDay] {
        ago.map { back in
            let date = Self.now.addingTimeInterval(-Double(back) * Self.day)
            return FeedDay(feed: feed, day: FeedHealth.day(date), runs: 1, read: events, events: events - quarantined, quarantined: quarantined, lastStartedAt: date)
        }
    }

    @Test func aDailyFeedSilentForMoreThanTwoDaysIsFlagged() throws {
        let report = FeedHealth.report(
            days: Self.days("Daily, then silent", [3, 4, 5, 6, 7]) + Self.days("Daily", [0, 1, 2, 3], quarantined: 2)
                + Self.days("Weekly", [3, 10, 17, 24]) + Self.days("Once", [12]),
            sources: [], now: Self.now)
        #expect(report.map(\.feed) == ["Daily", "Daily, then silent", "Once", "Weekly"])
        let health = Dictionary(uniqueKeysWithValues: report.map { ($0.feed, $0) })
        #expect(health["Daily, then silent"]?.daily == true)
        #expect(health["Daily, then silent"]?.silent == true)
        #expect(health["Daily"]?.silent == false)
        #expect(health["Daily"]?.quarantineRate == 0.2)
        #expect(health["Daily"]?.eventsPerDay.suffix(4) == [8, 8, 8, 8])
        #expect(health["Daily"]?.eventsPerDay.count == 30)
        #expect(health["Weekly"]?.daily == false && health["Weekly"]?.silent == false)
        #expect(health["Once"]?.silent == false)
    }

    @Test func aCollectorThatNeverDeliveredIsSilentAfterTwoDays() {
        let fresh = FeedSource(name: "New", kind: .http, location: "https://x.example/f", everySeconds: 3600, createdAt: Self.now.addingTimeInterval(-3600))
        let stale = FeedSource(name: "Stale", kind: .http, location: "https://x.example/g", everySeconds: 86400, createdAt: Self.now.addingTimeInterval(-3 * Self.day))
        let weekly = FeedSource(name: "Weekly", kind: .http, location: "https://x.example/h", everySeconds: 7 * 86400, createdAt: Self.now.addingTimeInterval(-9 * Self.day))
        let report = FeedHealth.report(days: [], sources: [fresh, stale, weekly], now: Self.now)
        #expect(report.map { "\($0.feed):\($0.silent)" } == ["New:false", "Stale:true", "Weekly:false"])
        #expect(report.allSatisfy { $0.source != nil && $0.lastDelivery == nil })
    }
}
