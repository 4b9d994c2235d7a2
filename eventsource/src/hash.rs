//! [`fnv1a`]: the one stable hash of the crate, for keys that every process and every
//! release must compute alike (advisory-lock keys, lock files, snapshot jitter).

/// 64-bit FNV-1a of the concatenated parts. Unlike the standard library's hasher, it is
/// the same in every process and every release: never change it.
pub fn fnv1a<P: AsRef<[u8]>>(parts: impl IntoIterator<Item = P>) -> u64 {
    const OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
    const PRIME: u64 = 0x0000_0100_0000_01b3;
    parts.into_iter().fold(OFFSET, |hash, part| {
        part.as_ref().iter().fold(hash, |hash, byte| {
            (hash ^ u64::from(*byte)).wrapping_mul(PRIME)
        })
    })
}

#[cfg(test)]
mod tests {
    use super::fnv1a;

    #[test]
    fn fnv1a_matches_the_reference_vectors() {
        assert_eq!(fnv1a([""]), 0xcbf2_9ce4_8422_2325);
        assert_eq!(fnv1a(["a"]), 0xaf63_dc4c_8601_ec8c);
        assert_eq!(fnv1a(["foo", "bar"]), 0x8594_4171_f739_67e8);
    }
}
