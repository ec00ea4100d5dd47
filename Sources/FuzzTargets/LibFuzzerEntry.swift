/// The body of every libFuzzer harness in fuzz/ (`LLVMFuzzerTestOneInput`):
/// runs `target` on the input and traps on a broken property, which libFuzzer
/// reports as a crash and saves as `crash-<sha1>` for the corpus.
public func libFuzzerTestOneInput(_ target: FuzzTarget, _ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    let input = data.map { Array(UnsafeBufferPointer(start: $0, count: size)) } ?? []
    if let finding = target.run(input).first {
        fatalError("\(target.rawValue): \(finding)")
    }
    return 0
}
