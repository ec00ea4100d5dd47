import Foundation
import HTTPModel

/// Serves the pages in the web root (`GET`/`HEAD`). Directory URLs serve
/// their `index.html`; a directory without the trailing slash is redirected
/// so relative links in the page resolve.
public final class StaticFiles: HTTPHandler {
    private let root: URL

    public init(root: String) {
        self.root = URL(fileURLWithPath: root, isDirectory: true).standardizedFileURL
    }

    static let contentTypes = [
        "html": "text/html; charset=utf-8", "js": "text/javascript; charset=utf-8", "css": "text/css; charset=utf-8",
        "json": "application/json", "svg": "image/svg+xml", "png": "image/png", "ico": "image/x-icon",
        "txt": "text/plain; charset=utf-8", "md": "text/markdown; charset=utf-8",
    ]

    public func handle(_ request: HTTPRequest) -> HTTPResponse? {
        guard request.method == "GET" || request.method == "HEAD" else { return nil }
        let segments = request.path.split(separator: "/").map(String.init)
        // No dot-files, no "..": nothing outside the web root is reachable.
        guard !segments.contains(where: { $0.hasPrefix(".") || $0.contains("\\") }) else { return nil }
        var file = segments.reduce(root) { $0.appendingPathComponent($1) }
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: file.path, isDirectory: &isDirectory) else { return nil }
        if isDirectory.boolValue {
            if !request.path.hasSuffix("/") {
                return HTTPResponse(status: 301, headers: ["location": request.path + "/"])
            }
            file = file.appendingPathComponent("index.html")
        }
        guard file.standardizedFileURL.path.hasPrefix(root.path), let data = FileManager.default.contents(atPath: file.path) else {
            return nil
        }
        let type = Self.contentTypes[file.pathExtension.lowercased()] ?? "application/octet-stream"
        return HTTPResponse(status: 200, contentType: type, headers: ["cache-control": "no-cache"],
                            body: request.method == "HEAD" ? [] : Array(data))
    }
}
