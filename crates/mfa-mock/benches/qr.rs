//! QR rendering, ours against the reference: `cargo bench -p mfa-mock --bench qr`.
//!
//! Renders the same enrollment URIs (random secrets, as enrollments make
//! them) with totp-rs's renderer (`qrcodegen_image::draw_base64`) and with
//! `mfa_mock::png_data_uri`, and prints the median time per code of each over
//! several rounds, and their ratio. The time is this thread's CPU time (the kernel's
//! `schedstat`), so other processes on a shared machine move it little; where the
//! kernel does not report it, wall-clock time. The images differ (mask, pixel format,
//! compression); the property tests prove ours decode.
//! Run it on a quiet machine; the figures are per core.

use std::time::{Duration, Instant};

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

/// URIs rendered per round.
const CODES: usize = 2_000;
/// Rounds; the median is reported.
const ROUNDS: usize = 7;

fn main() {
    let uris = enrollment_uris(CODES);
    let mut reference_times = Vec::with_capacity(ROUNDS);
    let mut our_times = Vec::with_capacity(ROUNDS);
    for _ in 0..ROUNDS {
        let reference_time = time(&uris, |uri| {
            qrcodegen_image::draw_base64(uri)
                .map(|png| format!("data:image/png;base64,{png}"))
                .is_ok()
        });
        let our_time = time(&uris, |uri| mfa_mock::png_data_uri(uri).is_ok());
        reference_times.push(reference_time);
        our_times.push(our_time);
    }
    let per_code = |times: &mut Vec<Duration>| {
        times.sort();
        times[times.len() / 2].as_secs_f64() * 1e6 / CODES as f64
    };
    let (reference, ours) = (per_code(&mut reference_times), per_code(&mut our_times));
    println!(
        "QR data URIs of {CODES} enrollment URIs (like \"{}\"), median of {ROUNDS} rounds:",
        uris[0]
    );
    println!("  totp-rs (qrcodegen-image::draw_base64)  {reference:8.1} µs of CPU per code");
    println!("  mfa_mock::png_data_uri              {ours:8.1} µs of CPU per code");
    println!("  {:.1}× faster", reference / ours.max(f64::MIN_POSITIVE));
}

/// The time `render` takes over every URI; exits if any fails to render.
fn time(uris: &[String], render: impl Fn(&str) -> bool) -> Duration {
    let (wall, cpu) = (Instant::now(), thread_cpu());
    let rendered = uris.iter().filter(|uri| render(uri)).count();
    let elapsed = match (cpu, thread_cpu()) {
        (Some(before), Some(after)) => after.saturating_sub(before),
        _ => wall.elapsed(),
    };
    if rendered != uris.len() {
        eprintln!(
            "qr: {} of {} URIs did not render",
            uris.len() - rendered,
            uris.len()
        );
        std::process::exit(1);
    }
    elapsed
}

/// CPU time this thread has run: the first field of Linux's `schedstat`, in nanoseconds.
fn thread_cpu() -> Option<Duration> {
    let stat = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    let nanos = stat.split_whitespace().next()?.parse().ok()?;
    Some(Duration::from_nanos(nanos))
}

/// `count` otpauth URIs as an enrollment builds them, each with its own
/// 160-bit secret (32 base32 characters), from a fixed seed.
fn enrollment_uris(count: usize) -> Vec<String> {
    const BASE32: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    let mut rng = StdRng::seed_from_u64(0x2545_F491_4F6C_DD1D);
    let mut next = move || rng.random::<u64>();
    (0..count)
        .map(|_| {
            let secret: String = (0..32)
                .map(|_| char::from(BASE32[(next() % 32) as usize]))
                .collect();
            format!(
                "otpauth://totp/Foo%20Corp:alan.turing%40example.com?secret={secret}&issuer=Foo%20Corp"
            )
        })
        .collect()
}
