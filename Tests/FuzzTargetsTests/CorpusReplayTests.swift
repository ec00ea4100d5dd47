import Testing
import FuzzTargets

/// Replays every committed corpus input (seeds and minimized finds of
/// `make fuzz`) through its parser: each must give a value or a typed error and
/// keep the target's properties (round trips, limits). A crash fails the run; a
/// hang (unbounded nesting, quadratic loops) hits the time limit.
@Suite(.timeLimit(.minutes(1)))
struct CorpusReplayTests {
    @Test(arguments: FuzzTarget.allCases)
    func everyCorpusInputIsHandled(_ target: FuzzTarget) throws {
        let inputs = try Corpus.inputs(for: target)
        #expect(inputs.count >= 10, "the \(target.rawValue) corpus has only \(inputs.count) inputs")
        for input in inputs {
            let findings = target.run(input.bytes)
            #expect(findings.isEmpty, "\(target.rawValue)/\(input.name): \(findings)")
        }
    }

    @Test func everyCorpusFolderIsATarget() throws {
        let folders = try Corpus.folders()
        #expect(Set(folders) == Set(FuzzTarget.allCases.map(\.rawValue)), "corpus folders: \(folders)")
    }
}
