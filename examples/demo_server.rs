//! A loopback image server for demos and screenshots: generated pictures (skies, hills, suns) at
//! `/img/NAME.jpg`, with some latency so downloads can be watched, and `/missing/NAME.jpg` → 404.
//!
//! `cargo run --example demo_server -- URLS_OUT [COUNT]` writes COUNT image URLs (plus one missing)
//! to URLS_OUT and serves until killed; `DEMO_LATENCY_MS` sets the base latency (default 300).
//! It binds 127.0.0.1 only.

use std::time::Duration;

use axum::Router;
use axum::extract::Path;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;

fn hsv(h: f32, s: f32, v: f32) -> [f32; 3] {
    let i = (h * 6.0).floor();
    let f = h * 6.0 - i;
    let (p, q, t) = (v * (1.0 - s), v * (1.0 - f * s), v * (1.0 - (1.0 - f) * s));
    match i as i32 % 6 {
        0 => [v, t, p],
        1 => [q, v, p],
        2 => [p, v, t],
        3 => [p, q, v],
        4 => [t, p, v],
        _ => [v, p, q],
    }
}

/// A landscape: a sky gradient, a sun, two rows of hills, each picked by `seed`.
fn picture(seed: u64, w: u32, h: u32) -> Vec<u8> {
    let mut rng = fastrand::Rng::with_seed(seed);
    let hue = rng.f32();
    let sky_top = hsv(hue, 0.55, 0.95);
    let sky_bottom = hsv((hue + 0.08) % 1.0, 0.35, 1.0);
    let sun = (rng.f32() * w as f32, (0.15 + rng.f32() * 0.3) * h as f32);
    let sun_r = (0.06 + rng.f32() * 0.06) * w as f32;
    let hill = hsv((hue + 0.35 + rng.f32() * 0.2) % 1.0, 0.6, 0.55);
    let far = hsv((hue + 0.55) % 1.0, 0.3, 0.75);
    let (a1, f1, p1) = (
        rng.f32() * 0.1 + 0.05,
        rng.f32() * 3.0 + 1.0,
        rng.f32() * 6.0,
    );
    let (a2, f2, p2) = (
        rng.f32() * 0.08 + 0.04,
        rng.f32() * 5.0 + 2.0,
        rng.f32() * 6.0,
    );
    let img = image::RgbImage::from_fn(w, h, |x, y| {
        let (fx, fy) = (x as f32 / w as f32, y as f32 / h as f32);
        let mut c = [0.0; 3];
        for i in 0..3 {
            c[i] = sky_top[i] * (1.0 - fy) + sky_bottom[i] * fy;
        }
        let d = ((x as f32 - sun.0).powi(2) + (y as f32 - sun.1).powi(2)).sqrt();
        if d < sun_r {
            c = [1.0, 0.93, 0.7];
        } else if d < sun_r * 2.5 {
            let glow = 1.0 - (d - sun_r) / (sun_r * 1.5);
            for v in &mut c {
                *v += glow * 0.15;
            }
        }
        let far_line = 0.6 + a1 * (fx * f1 * std::f32::consts::TAU + p1).sin();
        let near_line = 0.75 + a2 * (fx * f2 * std::f32::consts::TAU + p2).sin();
        if fy > near_line {
            let shade = 1.0 - (fy - near_line) * 0.8;
            c = hill.map(|v| v * shade);
        } else if fy > far_line {
            c = far;
        }
        image::Rgb(c.map(|v| (v.clamp(0.0, 1.0) * 255.0) as u8))
    });
    let mut out = std::io::Cursor::new(Vec::new());
    let _ = img.write_to(&mut out, image::ImageFormat::Jpeg);
    out.into_inner()
}

async fn img(Path(name): Path<String>) -> Response {
    let seed = name.bytes().fold(1469598103934665603u64, |h, b| {
        (h ^ b as u64).wrapping_mul(1099511628211)
    });
    let latency = std::env::var("DEMO_LATENCY_MS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(300u64);
    tokio::time::sleep(Duration::from_millis(latency + seed % 400)).await;
    let bytes = tokio::task::spawn_blocking(move || picture(seed, 800, 560))
        .await
        .unwrap_or_default();
    ([(header::CONTENT_TYPE, "image/jpeg")], bytes).into_response()
}

async fn missing() -> Response {
    (StatusCode::NOT_FOUND, "no such image").into_response()
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> std::io::Result<()> {
    let mut args = std::env::args().skip(1);
    let out = args.next().unwrap_or_else(|| "urls.txt".into());
    let count: usize = args.next().and_then(|c| c.parse().ok()).unwrap_or(24);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let mut list: String = (0..count)
        .map(|i| format!("http://{addr}/img/landscape-{i:02}.jpg\n"))
        .collect();
    list += &format!("http://{addr}/missing/lost-photo.jpg\n");
    std::fs::write(&out, list)?;
    eprintln!("serving {count} images at http://{addr}/img/ (list in {out})");
    let app = Router::new()
        .route("/img/{name}", get(img))
        .route("/missing/{name}", get(missing));
    axum::serve(listener, app).await
}
