import ConfianzaCore
import ConfianzaServer
import ConfianzaTestSupport
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing

@Suite struct PagesTests {
    @Test func withNoUserThePagesExplainHowToCreateTheFirstAdmin() async throws {
        let configuration = ServerConfiguration(firstAdminCommand: "confianza user create admin --role admin --database '/srv/c.db'")
        try await TestApp.run(seedUsers: false, configuration: configuration) { client, _ in
            let browser = Browser(client)
            for path in ["/", "/login", "/incidents", "/admin/users"] {
                let response = try await browser.get(path)
                #expect(response.status == .serviceUnavailable, "\(path)")
                #expect(response.text.contains("confianza user create admin --role admin --database &#39;/srv/c.db&#39;"))
            }
            #expect(try await browser.get("/healthz").status == .ok)
            #expect(try await browser.get("/static/app.css").status == .ok)
        }
    }

    @Test(arguments: TestBackend.available)
    func signingInOpensEveryModuleAndSigningOutEndsTheSession(backend: TestBackend) async throws {
        try await TestApp.run(backend) { client, dependencies in
            let browser = Browser(client)
            let first = try await browser.get("/incidents")
            #expect(first.status == .seeOther)
            #expect(first.location == "/login?next=%2Fincidents")

            let login = try await browser.login("ana")
            #expect(login.status == .seeOther)
            #expect(login.location == "/")
            let cookie = try #require(login.headers[values: .setCookie].first { $0.hasPrefix("confianza_session=") })
            #expect(cookie.contains("HttpOnly"))
            #expect(cookie.contains("SameSite=Lax"))
            #expect(!cookie.contains("Secure"))

            let home = try await browser.get("/")
            #expect(home.status == .ok)
            #expect(home.text.contains("Welcome, Ana García."))
            for module in ["constituency", "feeds", "incidents", "sharing", "assessment", "risk", "knowledge", "reports"] {
                #expect(home.text.contains("href=\"/\(module)\""))
                let page = try await browser.get("/\(module)")
                #expect(page.status == .ok)
                #expect(!page.text.contains("Being built"), "\(module)")
                #expect(page.text.contains("aria-current=\"page\""))
            }
            #expect(!home.text.contains("/admin/users"), "an analyst sees no admin links")

            let logout = try await browser.post("/logout", [])
            #expect(logout.status == .seeOther)
            #expect(logout.location == "/login?signed-out=1")
            #expect(browser.cookies["confianza_session"] == nil)
            #expect(try await browser.get("/").status == .seeOther)

            let actions = try await dependencies.store.auditEntries(limit: 2, before: nil).map(\.event.action)
            #expect(actions == [.logout, .login])
        }
    }

    @Test func wrongPasswordAndUnknownUserGetTheSameAnswer() async throws {
        try await TestApp.run { client, _ in
            let browser = Browser(client)
            try await browser.get("/login")
            let wrong = try await browser.post("/login", [("username", "ana"), ("password", "not the password")])
            let unknown = try await browser.post("/login", [("username", "nobody"), ("password", "not the password")])
            #expect(wrong.status == .unauthorized)
            #expect(unknown.status == .unauthorized)
            let message = "Unknown username or wrong password."
            #expect(wrong.text.contains(message) && unknown.text.contains(message))
            #expect(browser.cookies["confianza_session"] == nil)
        }
    }

    @Test func repeatedFailuresAreThrottled() async throws {
        try await TestApp.run { client, _ in
            let browser = Browser(client)
            try await browser.get("/login")
            for _ in 0..<5 {
                #expect(try await browser.post("/login", [("username", "ana"), ("password", "not the password")]).status == .unauthorized)
            }
            let blocked = try await browser.post("/login", [("username", "ana"), ("password", TestApp.password)])
            #expect(blocked.status == .tooManyRequests)
            // 30 seconds from the last failure, less what this (possibly slow) machine took since.
            let wait = try #require(blocked.headers[.retryAfter].flatMap(Int.init))
            #expect((1...30).contains(wait) && blocked.text.contains("Try again in \(wait) seconds."))
        }
    }

    @Test func formsWithoutTheRightTokenOrFromElsewhereAreRefused() async throws {
        try await TestApp.run { client, dependencies in
            let browser = Browser(client)
            try await browser.login("root")
            try await browser.get("/account")
            let missing = try await browser.post("/account/tokens", [("name", "x"), ("_csrf", "")])
            #expect(missing.status == .forbidden)
            #expect(missing.text.contains("This form has expired"))
            #expect(try await browser.post("/account/tokens", [("name", "x")], csrf: String(repeating: "A", count: 43)).status == .forbidden)
            let crossSite = try await browser.post("/account/tokens", [("name", "x")], headers: [.origin: "https://evil.example"])
            #expect(crossSite.status == .forbidden)
            #expect(try await browser.post("/login", [("username", "root"), ("password", TestApp.password)], csrf: "forged").status == .forbidden)
            let root = try await dependencies.accounts.user(named: "root")
            #expect(try await dependencies.store.tokens(userID: root.id).isEmpty, "nothing was created")

            // The right token works.
            #expect(try await browser.post("/account/tokens", [("name", "feeds")]).status == .ok)
            #expect(try await dependencies.store.tokens(userID: root.id).count == 1)
        }
    }

    @Test func malformedFormsGetAClearAnswerAndChangeNothing() async throws {
        try await TestApp.run { client, dependencies in
            let browser = Browser(client)
            try await browser.login("root")
            try await browser.get("/admin/users")
            let csrf = try #require(browser.csrf)
            let cookies = browser.cookies.map { "\($0.key)=\($0.value)" }.joined(separator: "; ")
            func raw(_ body: [UInt8], contentType: String = "application/x-www-form-urlencoded") async throws -> TestResponse {
                try await client.execute(
                    uri: "/admin/users", method: .post, headers: [.contentType: contentType, .cookie: cookies],
                    body: ByteBuffer(bytes: body))
            }
            let badEscape = try await raw(Array("_csrf=\(csrf)&username=%ZZ&role=viewer".utf8))
            #expect(badEscape.status == .badRequest)
            #expect(badEscape.text.contains("field &#39;username&#39; is badly encoded"))
            #expect(try await raw(Array("_csrf=\(csrf)&username=a&username=b&role=viewer".utf8)).status == .badRequest)
            #expect(try await raw(Array("_csrf=\(csrf)&username=x".utf8) + [0xff, 0xfe]).status == .badRequest)
            #expect(try await raw(Array("{\"username\":\"x\"}".utf8), contentType: "application/json").status == .unsupportedMediaType)
            #expect(try await raw(Array(repeating: UInt8(ascii: "a"), count: 70_000)).status == .contentTooLarge)
            #expect(try await raw([]).status == .forbidden)
            let badRole = try await browser.post("/admin/users", [("username", "newbie"), ("role", "overlord")])
            #expect(badRole.status == .badRequest)
            let weak = try await browser.post("/admin/users", [("username", "newbie"), ("role", "viewer"), ("password", "short")])
            #expect(weak.status == .badRequest)
            #expect(weak.text.contains("use at least 12 characters"))
            #expect(try await dependencies.store.userCount() == 3)
        }
    }

    @Test func forgedOrExpiredSessionCookiesGoBackToLogin() async throws {
        try await TestApp.run { client, _ in
            let browser = Browser(client)
            browser.setCookie("confianza_session", "forged-value")
            let response = try await browser.get("/account")
            #expect(response.status == .seeOther)
            #expect(response.location == "/login?next=%2Faccount&expired=1")
            #expect(browser.cookies["confianza_session"] == nil, "the stale cookie is cleared")
            let login = try await browser.get(try #require(response.location))
            #expect(login.text.contains("Your session has ended"))
        }
    }

    @Test func pagesFollowTheBrowserThenTheUsersChoice() async throws {
        try await TestApp.run { client, dependencies in
            let browser = Browser(client)
            let spanish = try await browser.get("/login", headers: [.acceptLanguage: "es-419,es;q=0.9,en;q=0.5"])
            #expect(spanish.text.contains("<html lang=\"es\" dir=\"ltr\">"))
            #expect(spanish.text.contains("Iniciar sesión"))
            #expect(try await browser.get("/login", headers: [.acceptLanguage: "de-DE"]).text.contains("<html lang=\"en\" dir=\"ltr\">"))

            try await browser.login("ana")
            let switched = try await browser.post("/language", [("language", "es"), ("next", "/account")])
            #expect(switched.location == "/account")
            let account = try await browser.get("/account", headers: [.acceptLanguage: "en"])
            #expect(account.text.contains("Mi cuenta"))
            #expect(try await dependencies.accounts.user(named: "ana").language == .spanish)

            // The choice follows the user to another browser that asks for English.
            let other = Browser(client)
            try await other.login("ana")
            #expect(try await other.get("/", headers: [.acceptLanguage: "en"]).text.contains("Bienvenido/a, Ana García."))

            #expect(try await browser.post("/language", [("language", "klingon")]).status == .badRequest)
            #expect(try await browser.post("/account/language", [("language", "")]).status == .seeOther)
            #expect(try await dependencies.accounts.user(named: "ana").language == nil)
        }
    }

    @Test func unknownPagesAnswer404AsHTMLOrProblemJSON() async throws {
        try await TestApp.run { client, _ in
            let browser = Browser(client)
            try await browser.login("ana")
            let html = try await browser.get("/no/such/page", headers: [.accept: "text/html"])
            #expect(html.status == .notFound)
            #expect(html.headers[.contentType] == "text/html; charset=utf-8")
            #expect(html.text.contains("Page not found"))
            let json = try await browser.get("/no/such/page", headers: [.accept: "application/json"])
            #expect(json.status == .notFound)
            #expect(json.headers[.contentType] == "application/problem+json")
            #expect(try json.json()["status"] as? Int == 404)
            let api = try await client.execute(uri: "/api/v1/nothing-here", method: .get)
            #expect(api.headers[.contentType] == "application/problem+json")
        }
    }

    @Test func adminsManageUsersOnThePagesAndOthersMayNot() async throws {
        try await TestApp.run { client, dependencies in
            let analyst = Browser(client)
            try await analyst.login("ana")
            #expect(try await analyst.get("/admin/users").status == .forbidden)
            #expect(try await analyst.get("/admin/audit").status == .forbidden)

            let admin = Browser(client)
            try await admin.login("root")
            let users = try await admin.get("/admin/users")
            #expect(users.text.contains("vera"))
            let created = try await admin.post("/admin/users", [("username", "nuevo"), ("role", "viewer"), ("displayName", "Nuevo Analista")])
            #expect(created.status == .ok)
            #expect(created.text.contains("User nuevo created. Password: "))
            #expect(try await admin.post("/admin/users/nuevo/role", [("role", "analyst")]).status == .ok)
            #expect(try await admin.post("/admin/users/nuevo/disable", []).status == .ok)
            #expect(try await dependencies.accounts.user(named: "nuevo").disabled)
            #expect(try await admin.post("/admin/users/nuevo/enable", []).status == .ok)
            let reset = try await admin.post("/admin/users/nuevo/reset-password", [])
            #expect(reset.text.contains("New password for nuevo: "))
            let lastAdmin = try await admin.post("/admin/users/root/role", [("role", "viewer")])
            #expect(lastAdmin.status == .conflict)
            #expect(try await admin.post("/admin/users/ghost/disable", []).status == .notFound)

            let audit = try await admin.get("/admin/audit")
            #expect(audit.status == .ok)
            for action in ["user.created", "user.role-changed", "user.disabled", "user.enabled", "user.password-reset", "login"] {
                #expect(audit.text.contains("<code>\(action)</code>"), "\(action)")
            }
            #expect(try await admin.get("/admin/audit?before=-1").status == .badRequest)
        }
    }

    @Test func adminsReadTheRetentionPolicyAndItsRuns() async throws {
        try await TestApp.run { client, dependencies in
            let analyst = Browser(client)
            try await analyst.login("ana")
            #expect(try await analyst.get("/admin/retention").status == .forbidden)
            let admin = Browser(client)
            try await admin.login("root")
            let empty = try await admin.get("/admin/retention")
            #expect(empty.status == .ok)
            #expect(empty.text.contains("180 days") && empty.text.contains("90 days") && empty.text.contains("Retention has not run yet."))
            _ = try await RetentionService(store: dependencies.store, policy: .standard).run(dryRun: true, by: "root", address: "test")
            let page = try await admin.get("/admin/retention")
            #expect(page.text.contains("dry run (nothing changed)"))
        }
    }

    @Test func tokensAreShownOnceAndCanBeRevokedFromTheAccountPage() async throws {
        try await TestApp.run { client, dependencies in
            let browser = Browser(client)
            try await browser.login("ana")
            try await browser.get("/account")
            let made = try await browser.post("/account/tokens", [("name", "IntelMQ")])
            let html = made.text
            let start = try #require(html.range(of: "<code id=\"new-token-value\">"))
            let secret = String(html[start.upperBound...].prefix { $0 != "<" })
            #expect(secret.hasPrefix("cfz_"))
            let me = try await client.execute(uri: "/api/v1/me", method: .get, headers: bearer(secret))
            #expect(me.status == .ok)
            let again = try await browser.get("/account")
            #expect(!again.text.contains(secret), "the secret is shown once")
            let ana = try await dependencies.accounts.user(named: "ana")
            let token = try #require(try await dependencies.store.tokens(userID: ana.id).first)
            #expect(try await browser.post("/account/tokens/\(token.id.uuidString)/revoke", []).status == .seeOther)
            #expect(try await client.execute(uri: "/api/v1/me", method: .get, headers: bearer(secret)).status == .unauthorized)
            #expect(try await browser.post("/account/tokens/not-a-uuid/revoke", []).status == .notFound)
        }
    }

    @Test func changingOnesPasswordEndsTheSession() async throws {
        try await TestApp.run { client, _ in
            let browser = Browser(client)
            try await browser.login("ana")
            try await browser.get("/account")
            let wrong = try await browser.post("/account/password", [("currentPassword", "nope"), ("newPassword", "a brand new phrase")])
            #expect(wrong.status == .badRequest)
            let changed = try await browser.post(
                "/account/password", [("currentPassword", TestApp.password), ("newPassword", "a brand new phrase")])
            #expect(changed.location == "/login?password-changed=1")
            #expect(try await browser.get("/").status == .seeOther)
            #expect(try await browser.login("ana", "a brand new phrase").status == .seeOther)
        }
    }

    @Test func pagesCarrySecurityHeadersAndNeedNoOutsideAssets() async throws {
        try await TestApp.run { client, _ in
            let browser = Browser(client)
            try await browser.login("root")
            for path in ["/", "/account", "/admin/users", "/admin/audit", "/risk"] {
                let page = try await browser.get(path)
                #expect(page.headers[.contentSecurityPolicy]?.contains("default-src 'none'") == true)
                #expect(page.headers[.xContentTypeOptions] == "nosniff")
                #expect(!page.text.contains("http://") && !page.text.contains("https://"), "\(path) links nothing outside")
                #expect(!page.text.contains("<script"), "\(path) needs no JavaScript")
                #expect(page.text.contains("name=\"viewport\""))
            }
        }
    }

    @Test func cookiesAreSecureBehindTLS() async throws {
        let configuration = ServerConfiguration(publicURL: URL(string: "https://cirt.example"))
        try await TestApp.run(configuration: configuration) { client, _ in
            let browser = Browser(client)
            let login = try await browser.login("ana")
            let cookie = try #require(login.headers[values: .setCookie].first { $0.hasPrefix("confianza_session=") })
            #expect(cookie.contains("Secure"))
        }
    }

    @Test func translationsAreComplete() async throws {
        let views = try await TestViews.load()
        #expect(views.localizer.languages == [.english, .spanish, .french])
        for language in views.localizer.languages {
            #expect(views.localizer.missingKeys(in: language).isEmpty, "\(language)")
        }
    }
}
