import HTTPModel

/// The outcome of reading an integrator's `Authorization: Bearer …` header.
enum BearerCheck {
    case token(IntegratorToken)
    /// The 401 to answer.
    case refused(HTTPResponse)
}

extension RelayEngine {
    /// The integrator token of a request. Scope checks are the caller's (they differ per route).
    func bearerToken(_ request: HTTPRequest, now: Int64) -> BearerCheck {
        guard let header = request.header("authorization"), header.lowercased().hasPrefix("bearer ") else {
            return .refused(.problem(401, code: "unauthorized", message: "an integrator bearer token is required"))
        }
        do {
            return .token(try IntegratorToken.verify(String(header.dropFirst(7)), nowSeconds: now / 1000, secret: config.copilotSecret))
        } catch .expired {
            return .refused(.problem(401, code: "unauthorized", message: "the token has expired"))
        } catch {
            return .refused(.problem(401, code: "unauthorized", message: "the token is not valid"))
        }
    }
}
