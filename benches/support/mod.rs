//! Shared by the benchmarks: loopback servers on their own runtime thread, the memory of this
//! process and of a child, and the window (`window.rs`).

pub mod window;

use std::net::SocketAddr;
use std::time::Duration;

/// Serves `app` on 127.0.0.1 (a free port) from a thread with `workers` runtime threads, until
/// the process ends; returns the address.
#[allow(dead_code)] // each bench uses what it needs
pub fn serve(app: axum::Router, workers: usize) -> SocketAddr {
    serve_on(&["127.0.0.1".parse().expect("ip")], app, workers)[0]
}

/// Serves `app` on each of `ips` (a free port each) from one runtime thread.
#[allow(dead_code)] // each bench uses what it needs
pub fn serve_on(ips: &[std::net::IpAddr], app: axum::Router, workers: usize) -> Vec<SocketAddr> {
    let (tx, rx) = std::sync::mpsc::channel();
    let ips = ips.to_vec();
    std::thread::Builder::new()
        .name("bench-server".into())
        .spawn(move || {
            let rt = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(workers)
                .enable_all()
                .build()
                .expect("runtime");
            rt.block_on(async move {
                let mut addrs = Vec::new();
                let mut servers = Vec::new();
                for ip in ips {
                    let listener = tokio::net::TcpListener::bind((ip, 0)).await.expect("bind");
                    addrs.push(listener.local_addr().expect("addr"));
                    servers.push(tokio::spawn(
                        axum::serve(listener, app.clone()).into_future(),
                    ));
                }
                tx.send(addrs).expect("send");
                for s in servers {
                    let _ = s.await;
                }
            });
        })
        .expect("thread");
    rx.recv().expect("server addresses")
}

/// The peak resident memory of the process `pid` so far, in MB (0 once it is gone).
#[allow(dead_code)]
pub fn peak_mb(pid: u32) -> f64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|status| {
            status
                .lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|v| v.parse::<u64>().ok())
        })
        .map_or(0.0, |kb| kb as f64 / 1e3)
}

/// Waits for `child` to exit, reading its peak resident memory (VmHWM, the kernel's high-water
/// mark: the last reading before it exits is its peak). Returns MB.
#[allow(dead_code)]
pub fn wait_peak_mb(child: &mut std::process::Child) -> f64 {
    let status_path = format!("/proc/{}/status", child.id());
    let mut peak_kb = 0u64;
    loop {
        if let Ok(status) = std::fs::read_to_string(&status_path)
            && let Some(kb) = status
                .lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|v| v.parse::<u64>().ok())
        {
            peak_kb = peak_kb.max(kb);
        }
        if child.try_wait().expect("wait").is_some() {
            break;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    peak_kb as f64 / 1e3
}

/// Loopback bandwidth in bytes/s: the best of five single-connection GETs of `/blob` on
/// `addr`, which must answer `len` bytes.
#[allow(dead_code)] // each bench uses what it needs
pub fn loopback_bandwidth(addr: SocketAddr, len: usize) -> f64 {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(async {
        let client = reqwest::Client::new();
        let mut best = 0.0f64;
        for _ in 0..5 {
            let t = std::time::Instant::now();
            let body = client
                .get(format!("http://{addr}/blob"))
                .send()
                .await
                .expect("blob")
                .bytes()
                .await
                .expect("body");
            assert_eq!(body.len(), len);
            best = best.max(len as f64 / t.elapsed().as_secs_f64());
        }
        best
    })
}

/// This process's resident memory, MB: now (`VmRSS`) or at its peak (`VmHWM`).
#[allow(dead_code)]
pub fn own_rss_mb(peak: bool) -> f64 {
    let field = if peak { "VmHWM:" } else { "VmRSS:" };
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find(|l| l.starts_with(field))
        .and_then(|l| l.split_whitespace().nth(1)?.parse::<f64>().ok())
        .unwrap_or(0.0)
        / 1e3
}

/// The number in the environment variable `name`, else `default`.
#[allow(dead_code)]
pub fn env_number(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}
