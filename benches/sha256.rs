//! Which SHA-256 is fastest here? `cargo bench --bench sha256`.
//! Hashes 512 MiB in 1 MiB pieces (large scans) and 64 MiB in 1 KiB files
//! (small scans and pages), with each implementation, and prints GB/s.

use std::time::Instant;

fn measure(name: &str, piece: usize, total: usize, mut hash: impl FnMut(&[u8]) -> u8) {
    let data: Vec<u8> = (0..piece).map(|i| (i * 31 % 251) as u8).collect();
    let mut sink = 0u8;
    // Warm up, then take the best of three runs.
    sink ^= hash(&data);
    let mut best = f64::MAX;
    for _ in 0..3 {
        let t = Instant::now();
        for _ in 0..total / piece {
            sink ^= hash(&data);
        }
        best = best.min(t.elapsed().as_secs_f64());
    }
    println!(
        "{name:>8} {piece:>8} B pieces: {:6.2} GB/s (sink {sink})",
        total as f64 / best / 1e9
    );
}

fn main() {
    for (piece, total) in [(1 << 20, 512 << 20), (1 << 10, 64 << 20)] {
        measure("sha2", piece, total, |d| {
            use sha2::Digest;
            sha2::Sha256::digest(d)[0]
        });
        measure("ring", piece, total, |d| {
            ring::digest::digest(&ring::digest::SHA256, d).as_ref()[0]
        });
    }
}
