import Testing
@testable import NASEngine

@Suite struct SplitMix64Tests {
    /// The batched draw (independent per index, so it vectorises) gives exactly the values of
    /// one-at-a-time draws and leaves the generator where they would: seeded weights are the
    /// same whichever way they are drawn.
    @Test(arguments: [0, 1, 7, 16, 1000])
    func batchedDrawsEqualSingleDraws(count: Int) {
        var batched = SplitMix64(seed: 0xDEAD_BEEF), single = batched
        let values = batched.uniform(count: count, scale: 0.37)
        let expected = (0..<count).map { _ in single.uniform(0.37) }
        #expect(values == expected)
        #expect(batched.next() == single.next())
    }

    /// The published SplitMix64 sequence for seed 0 (Vigna's reference implementation).
    @Test func matchesTheReferenceSequence() {
        var rng = SplitMix64(seed: 0)
        #expect([rng.next(), rng.next(), rng.next()] == [0xE220_A839_7B1D_CDAF, 0x6E78_9E6A_A1B9_65F4, 0x06C4_5D18_8009_454F])
    }
}
