//! Writes one specimen scan: `cargo run --example specimen -- OUT.png|OUT.pdf LINE...`.
//! Used by tools/kenya2022.py to make the sample's clearly-marked specimen scans.

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some((out, lines)) = args.split_first() else {
        eprintln!("usage: specimen OUT.png|OUT.pdf LINE...");
        std::process::exit(2);
    };
    let bytes = if out.ends_with(".pdf") {
        kura::sample::specimen::pdf(lines)
    } else {
        kura::sample::specimen::png(lines)
    };
    if let Err(e) = std::fs::write(out, bytes) {
        eprintln!("{out}: {e}");
        std::process::exit(1);
    }
}
