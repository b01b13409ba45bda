//! Shared by the benchmarks: a loopback server on its own runtime thread.

use std::net::SocketAddr;

/// Serves `app` on 127.0.0.1 (a free port) from a thread with `workers` runtime threads, until
/// the process ends; returns the address.
pub fn serve(app: axum::Router, workers: usize) -> SocketAddr {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::Builder::new()
        .name("bench-server".into())
        .spawn(move || {
            let rt = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(workers)
                .enable_all()
                .build()
                .expect("runtime");
            rt.block_on(async move {
                let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
                    .await
                    .expect("bind");
                tx.send(listener.local_addr().expect("addr")).expect("send");
                axum::serve(listener, app).await.expect("serve");
            });
        })
        .expect("thread");
    rx.recv().expect("server address")
}
