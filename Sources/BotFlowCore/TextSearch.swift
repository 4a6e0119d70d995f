extension String {
    /// Substring test on UTF-8 bytes. Keyword, trigger and condition matching run on every inbound message; with
    /// Foundation imported, `contains(_:)` goes through NSString bridging (measured as the hottest non-SQL frame of
    /// the reply job), while both sides here are already lowercased plain text.
    public func containsBytes(of needle: String) -> Bool {
        if needle.isEmpty { return true }
        var haystack = self, needle = needle
        return haystack.withUTF8 { h in
            needle.withUTF8 { n in
                guard n.count <= h.count else { return false }
                let first = n[0]
                var i = 0
                let last = h.count - n.count
                while i <= last {
                    if h[i] == first {
                        var j = 1
                        while j < n.count && h[i + j] == n[j] { j += 1 }
                        if j == n.count { return true }
                    }
                    i += 1
                }
                return false
            }
        }
    }
}
