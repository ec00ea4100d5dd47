extension JSONValue {
    /// Deep merge used for 8x8 handover `properties`: objects merge key by key,
    /// arrays are appended (so configured `additionalProperties` add to the
    /// relay's own), and any other value in `overlay` replaces the base.
    public func deepMerged(with overlay: JSONValue) -> JSONValue {
        switch (self, overlay) {
        case (.object(var base), .object(let top)):
            for (key, value) in top {
                base[key] = base[key].map { $0.deepMerged(with: value) } ?? value
            }
            return .object(base)
        case (.array(let base), .array(let top)):
            return .array(base + top)
        default:
            return overlay
        }
    }
}
