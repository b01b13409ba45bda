//! Servers no HTTP library would be: a raw TCP answer byte for byte, a SOCKS5 proxy, an https
//! server with a self-signed certificate, and one that never says a word.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use tokio::io::{AsyncReadExt, AsyncWriteExt};

use super::images::*;
use super::runtime;

/// A bare TCP server that answers every connection with `response`, byte for byte, then closes:
/// for responses no HTTP library would send.
pub fn raw_server(response: Vec<u8>) -> SocketAddr {
    let listener = runtime().block_on(async {
        tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind")
    });
    let addr = listener.local_addr().expect("addr");
    let response = Arc::new(response);
    runtime().spawn(async move {
        loop {
            let Ok((mut sock, _)) = listener.accept().await else {
                break;
            };
            let response = response.clone();
            tokio::spawn(async move {
                let mut buf = vec![0u8; 8192];
                let mut seen = Vec::new();
                while !seen.windows(4).any(|w| w == b"\r\n\r\n") {
                    match sock.read(&mut buf).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => seen.extend_from_slice(&buf[..n]),
                    }
                }
                let _ = sock.write_all(&response).await;
                let _ = sock.shutdown().await;
            });
        }
    });
    addr
}

/// A minimal SOCKS5 proxy (no authentication, CONNECT only) that records the host names it was
/// asked for and splices the connection to `target` whatever the name (so `images.invalid` can
/// stand for a test server).
pub fn socks5_proxy(target: SocketAddr) -> (SocketAddr, Arc<Mutex<Vec<String>>>) {
    let listener = runtime().block_on(async {
        tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind")
    });
    let addr = listener.local_addr().expect("addr");
    let asked = Arc::new(Mutex::new(Vec::new()));
    let seen = asked.clone();
    runtime().spawn(async move {
        while let Ok((mut client, _)) = listener.accept().await {
            let seen = seen.clone();
            tokio::spawn(async move {
                // Greeting: VER, NMETHODS, METHODS…; answer "no authentication".
                let mut head = [0u8; 2];
                if client.read_exact(&mut head).await.is_err() {
                    return;
                }
                let mut methods = vec![0u8; usize::from(head[1])];
                if client.read_exact(&mut methods).await.is_err() {
                    return;
                }
                if client.write_all(&[5, 0]).await.is_err() {
                    return;
                }
                // Request: VER, CMD=1 (CONNECT), RSV, ATYP, address, port.
                let mut req = [0u8; 4];
                if client.read_exact(&mut req).await.is_err() {
                    return;
                }
                let host = match req[3] {
                    1 => {
                        let mut ip = [0u8; 4];
                        let _ = client.read_exact(&mut ip).await;
                        std::net::Ipv4Addr::from(ip).to_string()
                    }
                    3 => {
                        let mut len = [0u8; 1];
                        let _ = client.read_exact(&mut len).await;
                        let mut name = vec![0u8; usize::from(len[0])];
                        let _ = client.read_exact(&mut name).await;
                        String::from_utf8_lossy(&name).into_owned()
                    }
                    _ => return,
                };
                let mut port = [0u8; 2];
                if client.read_exact(&mut port).await.is_err() {
                    return;
                }
                seen.lock().unwrap().push(host);
                let Ok(mut upstream) = tokio::net::TcpStream::connect(target).await else {
                    let _ = client.write_all(&[5, 5, 0, 1, 0, 0, 0, 0, 0, 0]).await;
                    return;
                };
                if client
                    .write_all(&[5, 0, 0, 1, 127, 0, 0, 1, 0, 0])
                    .await
                    .is_err()
                {
                    return;
                }
                let _ = tokio::io::copy_bidirectional(&mut client, &mut upstream).await;
            });
        }
    });
    (addr, asked)
}

/// An https server on 127.0.0.1 with a self-signed certificate (what an old camera or NAS web
/// server has): every request gets a small PNG. Returns its address.
pub fn self_signed_https_server() -> SocketAddr {
    use tokio_rustls::rustls;
    let key = rcgen::generate_simple_self_signed(vec!["127.0.0.1".to_string()]).expect("cert");
    let cert = key.cert.der().clone();
    let private = rustls::pki_types::PrivateKeyDer::Pkcs8(key.signing_key.serialize_der().into());
    let config = rustls::ServerConfig::builder_with_provider(Arc::new(
        rustls::crypto::aws_lc_rs::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .expect("tls versions")
    .with_no_client_auth()
    .with_single_cert(vec![cert], private)
    .expect("tls config");
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
    let listener = runtime().block_on(async {
        tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind")
    });
    let addr = listener.local_addr().expect("addr");
    let body = png(32, 24, 4);
    runtime().spawn(async move {
        while let Ok((tcp, _)) = listener.accept().await {
            let acceptor = acceptor.clone();
            let body = body.clone();
            tokio::spawn(async move {
                // A client that refuses the certificate ends the handshake here.
                let Ok(mut tls) = acceptor.accept(tcp).await else {
                    return;
                };
                let mut seen = Vec::new();
                let mut buf = [0u8; 4096];
                while !seen.windows(4).any(|w| w == b"\r\n\r\n") {
                    match tls.read(&mut buf).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => seen.extend_from_slice(&buf[..n]),
                    }
                }
                let head = format!(
                    "HTTP/1.1 200 OK\r\nContent-Type: image/png\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                    body.len()
                );
                let _ = tls.write_all(head.as_bytes()).await;
                let _ = tls.write_all(&body).await;
                let _ = tls.shutdown().await;
            });
        }
    });
    addr
}

/// A server that accepts connections and never says a word.
pub fn silent_server() -> SocketAddr {
    let listener = runtime().block_on(async {
        tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind")
    });
    let addr = listener.local_addr().expect("addr");
    runtime().spawn(async move {
        let mut held = Vec::new();
        while let Ok((sock, _)) = listener.accept().await {
            held.push(sock);
        }
    });
    addr
}

/// An address that takes no connection and refuses none, like a dead server behind a firewall
/// that drops packets: a listener that never accepts, its queue full, so the system drops
/// further connection requests unanswered. Lives as long as the test process.
pub fn unanswering_address() -> SocketAddr {
    use std::net::TcpStream;
    use std::time::Duration;
    let socket = runtime().block_on(async {
        let socket = tokio::net::TcpSocket::new_v4().expect("socket");
        socket.bind("127.0.0.1:0".parse().unwrap()).expect("bind");
        socket
    });
    let addr = socket.local_addr().expect("addr");
    // Backlog 0: one connection waiting fills the queue.
    let listener = runtime().block_on(async { socket.listen(0).expect("listen") });
    let mut held = Vec::new();
    for _ in 0..8 {
        match TcpStream::connect_timeout(&addr, Duration::from_millis(300)) {
            Ok(stream) => held.push(stream),
            Err(e) if e.kind() == std::io::ErrorKind::TimedOut => {
                std::mem::forget((listener, held));
                return addr;
            }
            Err(e) => panic!("connecting to fill the queue: {e}"),
        }
    }
    panic!("the system kept answering connections to a full queue");
}
