import CLWS
import Synchronization

/// Values handed to the loop by other threads (the cluster listener, which blocks on
/// Redis). lws is single-threaded: its only thread-safe entry is `lws_cancel_service`,
/// which interrupts the loop's poll; the loop then hands the values to its mail
/// handler, on the loop thread, before the turn ends.
final class Mailbox: Sendable {
    private let items = Mutex<[any Sendable]>([])

    func put(_ item: any Sendable) { items.withLock { $0.append(item) } }

    func take() -> [any Sendable] {
        items.withLock { items in
            defer { items.removeAll(keepingCapacity: true) }
            return items
        }
    }
}

/// Posts values to a loop from any thread (see ``ServiceLoop/onMail(_:)``).
public struct LoopPoster: @unchecked Sendable {
    // @unchecked: the context pointer is only passed to lws_cancel_service, which lws
    // documents as callable from other threads; the loop outlives its posters' threads
    // (they are joined before the context is destroyed).
    fileprivate let mailbox: Mailbox
    fileprivate let context: OpaquePointer

    public func post(_ item: any Sendable) {
        mailbox.put(item)
        lws_cancel_service(context)
    }
}

extension ServiceLoop {
    /// Handles what other threads post, on the loop thread. One handler per loop.
    public func onMail(_ handler: @escaping ([any Sendable]) -> Void) { mailHandler = handler }

    /// A poster for another thread; only after ``start()``.
    public func poster() -> LoopPoster? {
        context.map { LoopPoster(mailbox: mailbox, context: $0) }
    }

    /// Runs on the loop after every lws_service.
    func deliverMail() {
        let items = mailbox.take()
        if !items.isEmpty { mailHandler?(items) }
    }
}
