//! Turns the medians criterion saved under `target/criterion` into the
//! tables of `BENCHMARKS.md`: each operation next to its primitive lower
//! bound, the batch throughput against one-by-one validation, and the
//! Ed25519 decision numbers.
//!
//! ```text
//! cargo bench -p keypackage-benches --bench keypackage --bench batch
//! cargo run -p keypackage-benches --release --example report [target/criterion]
//! ```

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// Median time per iteration, in nanoseconds, of one bench.
fn median_ns(dir: &Path) -> Option<f64> {
    let text = std::fs::read_to_string(dir.join("new").join("estimates.json")).ok()?;
    let json: serde_json::Value = serde_json::from_str(&text).ok()?;
    json.get("median")?.get("point_estimate")?.as_f64()
}

/// group directory name -> bench name -> median ns.
fn load(root: &Path) -> BTreeMap<String, BTreeMap<String, f64>> {
    let mut out: BTreeMap<String, BTreeMap<String, f64>> = BTreeMap::new();
    let Ok(groups) = std::fs::read_dir(root) else {
        return out;
    };
    for group in groups.flatten() {
        let Ok(benches) = std::fs::read_dir(group.path()) else {
            continue;
        };
        for bench in benches.flatten() {
            if let Some(ns) = median_ns(&bench.path()) {
                out.entry(group.file_name().to_string_lossy().into_owned())
                    .or_default()
                    .insert(bench.file_name().to_string_lossy().into_owned(), ns);
            }
        }
    }
    out
}

fn us(ns: Option<f64>) -> String {
    ns.map_or("–".to_owned(), |ns| {
        if ns < 10_000.0 {
            format!("{:.2}", ns / 1000.0)
        } else {
            format!("{:.1}", ns / 1000.0)
        }
    })
}

fn ratio(a: Option<f64>, b: Option<f64>) -> String {
    match (a, b) {
        (Some(a), Some(b)) if b > 0.0 => format!("{:.2}×", a / b),
        _ => "–".to_owned(),
    }
}

fn main() -> ExitCode {
    let root = std::env::args().nth(1).map_or_else(
        || {
            std::env::var_os("CARGO_TARGET_DIR")
                .map_or_else(
                    || PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target"),
                    PathBuf::from,
                )
                .join("criterion")
        },
        PathBuf::from,
    );
    let all = load(&root);
    if all.is_empty() {
        eprintln!("no criterion results under {}", root.display());
        return ExitCode::FAILURE;
    }

    println!("Medians in µs per key package; ratios to the primitive bound of the same run.\n");
    println!(
        "| backend | suite | create | bound | ratio | validate | bound | ratio | decode | encode | reference | HPKE keygen | sign | verify both |"
    );
    println!("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|");
    for (group, b) in &all {
        let Some((backend, suite)) = group.split_once("_suite-") else {
            continue;
        };
        let get = |name: &str| b.get(name).copied();
        println!(
            "| {backend} | {suite} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} |",
            us(get("create")),
            us(get("bound_create")),
            ratio(get("create"), get("bound_create")),
            us(get("validate")),
            us(get("bound_validate")),
            ratio(get("validate"), get("bound_validate")),
            us(get("decode")),
            us(get("encode")),
            us(get("reference")),
            us(get("prim_hpke_keygen")),
            us(get("prim_sign")),
            us(get("prim_verify_both")),
        );
    }

    println!(
        "\nBatch validation: µs per key package (median of the whole-batch time / count), throughput against one by one on one core.\n"
    );
    println!(
        "| set | one by one | batch, 1 thread | batch, all cores | speed-up | one by one (from bytes) | batch, all cores (from bytes) | speed-up |"
    );
    println!("|---|---|---|---|---|---|---|---|");
    for (group, b) in &all {
        let Some(set) = group.strip_prefix("validate_") else {
            continue;
        };
        let n = 10_000.0;
        let per = |name: &str| b.get(name).map(|ns| ns / n);
        let speedup = |base: &str, fast: &str| ratio(per(base), per(fast));
        println!(
            "| {set} | {} | {} | {} | {} | {} | {} | {} |",
            us(per("one_by_one")),
            us(per("batch_1_thread")),
            us(per("batch_all_cores")),
            speedup("one_by_one", "batch_all_cores"),
            us(per("one_by_one_encoded")),
            us(per("batch_all_cores_encoded")),
            speedup("one_by_one_encoded", "batch_all_cores_encoded"),
        );
    }

    if let Some(e) = all.get("ed25519") {
        println!("\nEd25519 (µs per signature or per point):\n");
        println!("| measurement | µs |");
        println!("|---|---|");
        for (name, ns) in e {
            let per = if name.contains("_64") { ns / 64.0 } else { *ns };
            println!("| {name} | {} |", us(Some(per)));
        }
    }
    ExitCode::SUCCESS
}
