import HTTPTypes
import Hummingbird

/// Says in each response how long the server took to make it (`Server-Timing: app;dur=12.3`, in
/// milliseconds, the standard header browsers' developer tools show), so a page's cost can be read
/// apart from the network's: the page benchmark reads it.
struct ServerTimingMiddleware<Context: RequestContext>: RouterMiddleware {
    static var name: HTTPField.Name? { HTTPField.Name("Server-Timing") }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let start = ContinuousClock.now
        var response = try await next(request, context)
        let elapsed = ContinuousClock.now - start
        let milliseconds = Double(elapsed.components.seconds) * 1000 + Double(elapsed.components.attoseconds) / 1e15
        if let name = Self.name { response.headers[name] = "app;dur=\((milliseconds * 100).rounded() / 100)" }
        return response
    }
}
