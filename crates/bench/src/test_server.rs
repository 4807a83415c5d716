//! A tiny in-process HTTP/1.1 server on loopback for the load loop's tests:
//! it records every request and answers with whatever the test's responder
//! returns.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use reqwest::header::HeaderValue;

use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};

use crate::runner::Plan;

/// What the fake server saw.
#[derive(Debug, Default)]
pub struct Seen {
    pub connections: usize,
    pub requests: Vec<Request>,
}

#[derive(Debug, Clone)]
pub struct Request {
    /// The request line and the headers, as sent.
    pub head: String,
    pub body: String,
}

/// Makes the whole response (status line, headers, body) to a request,
/// given how many requests came before it plus one.
pub type Responder = Arc<dyn Fn(usize, &Request) -> Vec<u8> + Send + Sync>;

/// A response with `status` (e.g. "201 Created") and `body`.
pub fn response(status: &str, body: &str) -> Vec<u8> {
    format!(
        "HTTP/1.1 {status}\r\ncontent-length: {}\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}

/// Starts the server; returns its base URL and what it saw.
pub async fn start(responder: Responder) -> (String, Arc<Mutex<Seen>>) {
    let Ok(listener) = TcpListener::bind("127.0.0.1:0").await else {
        unreachable!("cannot bind a loopback port for the fake server");
    };
    let Ok(address) = listener.local_addr() else {
        unreachable!("the fake server's listener has no address");
    };
    let seen = Arc::new(Mutex::new(Seen::default()));
    let server_seen = Arc::clone(&seen);
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            if let Ok(mut seen) = server_seen.lock() {
                seen.connections += 1;
            }
            tokio::spawn(serve_connection(
                stream,
                Arc::clone(&server_seen),
                Arc::clone(&responder),
            ));
        }
    });
    (format!("http://{address}"), seen)
}

/// A run against the server at `url` with no warm-up and a window long
/// enough that the request budget ends it.
pub fn plan(url: &str, connections: u16, max_requests: u64) -> Plan {
    Plan {
        endpoint: format!("{url}/scim/v2/Users"),
        bearer: HeaderValue::from_static("Bearer test-token"),
        connections,
        warmup: Duration::ZERO,
        duration: Duration::from_secs(20),
        max_requests,
        timeout: Duration::from_secs(5),
    }
}

/// The connections and requests seen so far.
pub fn seen_requests(seen: &Mutex<Seen>) -> (usize, Vec<Request>) {
    match seen.lock() {
        Ok(seen) => (seen.connections, seen.requests.clone()),
        Err(_) => (0, Vec::new()),
    }
}

/// A port on 127.0.0.1 that nothing listens on: bound, then released.
pub async fn closed_port() -> u16 {
    match TcpListener::bind("127.0.0.1:0").await {
        Ok(listener) => listener.local_addr().map(|a| a.port()).unwrap_or(1),
        Err(_) => 1,
    }
}

async fn serve_connection(stream: TcpStream, seen: Arc<Mutex<Seen>>, responder: Responder) {
    let mut stream = BufReader::new(stream);
    loop {
        let mut head = String::new();
        let mut content_length = 0usize;
        loop {
            let mut line = String::new();
            match stream.read_line(&mut line).await {
                Ok(0) | Err(_) => return,
                Ok(_) => {}
            }
            if line == "\r\n" {
                break;
            }
            if let Some((name, value)) = line.split_once(':')
                && name.eq_ignore_ascii_case("content-length")
            {
                content_length = value.trim().parse().unwrap_or(0);
            }
            head.push_str(&line);
        }
        let mut body = vec![0u8; content_length];
        if stream.read_exact(&mut body).await.is_err() {
            return;
        }
        let request = Request {
            head,
            body: String::from_utf8_lossy(&body).into_owned(),
        };
        let count = match seen.lock() {
            Ok(mut seen) => {
                seen.requests.push(request.clone());
                seen.requests.len()
            }
            Err(_) => return,
        };
        if stream
            .get_mut()
            .write_all(&responder(count, &request))
            .await
            .is_err()
        {
            return;
        }
    }
}
