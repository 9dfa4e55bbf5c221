extension Migrations {
    /// Risk registers: the matrices a site adds, cycles (each with the file of the matrix it is rated on),
    /// their scenarios, and the SME self-assessment results businesses chose to share. Cycles name their
    /// organisation without a foreign key: replacing the constituency must not take a register with it.
    /// Released: never edit, add a new step.
    static let risk = Migration(
        version: 17, name: "risk: matrices, cycles, scenarios, shared SME results",
        common: [
            """
            CREATE TABLE risk_matrices (
                id TEXT PRIMARY KEY, source TEXT NOT NULL, loaded_at BIGINT NOT NULL, loaded_by TEXT NOT NULL)
            """,
            """
            CREATE TABLE risk_cycles (
                id TEXT PRIMARY KEY, organisation_id TEXT NOT NULL, matrix_id TEXT NOT NULL, matrix_source TEXT NOT NULL,
                started_at BIGINT NOT NULL, next_review BIGINT, created_at BIGINT NOT NULL, created_by TEXT NOT NULL)
            """,
            "CREATE INDEX risk_cycles_organisation ON risk_cycles (organisation_id, started_at)",
            "CREATE INDEX risk_cycles_review ON risk_cycles (next_review)",
            """
            CREATE TABLE risk_scenarios (
                id TEXT PRIMARY KEY, cycle_id TEXT NOT NULL REFERENCES risk_cycles (id), scenario_key TEXT NOT NULL, position BIGINT NOT NULL,
                title TEXT NOT NULL, asset TEXT NOT NULL, threat_id TEXT,
                inherent_likelihood TEXT NOT NULL, inherent_impact TEXT NOT NULL, current_likelihood TEXT NOT NULL, current_impact TEXT NOT NULL,
                residual_likelihood TEXT NOT NULL, residual_impact TEXT NOT NULL,
                treatment TEXT NOT NULL CHECK (treatment IN ('reduce', 'accept', 'transfer', 'avoid')),
                controls TEXT NOT NULL, owner TEXT NOT NULL, due BIGINT, updated_at BIGINT NOT NULL, UNIQUE (cycle_id, scenario_key))
            """,
            "CREATE INDEX risk_scenarios_cycle ON risk_scenarios (cycle_id, position)",
            """
            CREATE TABLE sme_results (
                id TEXT PRIMARY KEY, shared_on BIGINT NOT NULL, questionnaire TEXT NOT NULL, size_band TEXT NOT NULL, sector TEXT NOT NULL,
                answers TEXT NOT NULL, percent BIGINT NOT NULL, functions TEXT NOT NULL, business TEXT)
            """,
            "CREATE INDEX sme_results_profile ON sme_results (sector, size_band)",
            "CREATE INDEX sme_results_shared ON sme_results (shared_on)",
        ])
}
