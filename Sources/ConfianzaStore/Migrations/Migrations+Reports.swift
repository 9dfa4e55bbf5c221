extension Migrations {
    /// Annual reports published on the public pages: the public edition of a year as it was when someone
    /// published it (its values, in no language: visitors read it in theirs), so that what the public reads
    /// is what staff reviewed, not figures that move every day. Released: never edit, add a new step.
    static let reports = Migration(
        version: 19, name: "reports: published annual reports",
        common: [
            """
            CREATE TABLE published_reports (
                year BIGINT PRIMARY KEY, as_of BIGINT NOT NULL, threshold BIGINT NOT NULL, body TEXT NOT NULL,
                published_at BIGINT NOT NULL, published_by TEXT NOT NULL)
            """
        ])
}
