//! The server under test as an address: parsing `--url`, resolving it once,
//! and refusing to aim load at anything but this machine unless asked to.
//! Connections and requests are the client's business (`client`).

use std::net::{SocketAddr, ToSocketAddrs};

use http::Uri;

/// A resolved server: where to connect and what to send as `Host`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    /// The address every connection goes to.
    pub addr: SocketAddr,
    /// The `Host` header value (`127.0.0.1:4100`).
    pub authority: String,
}

impl Target {
    /// A server listening on `addr`, e.g. one this process started.
    pub fn from_addr(addr: SocketAddr) -> Self {
        Self {
            addr,
            authority: addr.to_string(),
        }
    }

    /// The base URL, for the report.
    pub fn url(&self) -> String {
        format!("http://{}", self.authority)
    }

    /// Parses and resolves `--url`. Non-loopback addresses are refused unless
    /// `allow_remote`: a load test sends a lot of traffic.
    pub fn resolve(text: &str, allow_remote: bool) -> Result<Self, String> {
        let parts = parse_url(text)?;
        let addrs: Vec<SocketAddr> = (parts.host.as_str(), parts.port)
            .to_socket_addrs()
            .map_err(|error| format!("cannot resolve {:?}: {error}", parts.host))?
            .collect();
        if !allow_remote && !all_loopback(&addrs) {
            return Err(format!(
                "{text} is not on this machine; pass --allow-remote to load a remote server"
            ));
        }
        let addr = *addrs
            .first()
            .ok_or_else(|| format!("{:?} resolves to no address", parts.host))?;
        Ok(Self {
            addr,
            authority: parts.authority,
        })
    }
}

/// What `--url` names, before resolution.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UrlParts {
    /// Host name or IP address, without IPv6 brackets.
    pub host: String,
    /// Port (80 when the URL names none).
    pub port: u16,
    /// `host:port` as written, for the `Host` header.
    pub authority: String,
}

/// Parses `http://host[:port][/]`; the scheme may be left out. Paths, queries
/// and `https` are refused: the benchmark speaks plain HTTP to a server root.
pub fn parse_url(text: &str) -> Result<UrlParts, String> {
    let trimmed = text.trim();
    let with_scheme = if trimmed.contains("://") {
        trimmed.to_owned()
    } else {
        format!("http://{trimmed}")
    };
    let uri: Uri = with_scheme
        .parse()
        .map_err(|error| format!("not a URL: {text:?} ({error}); e.g. http://127.0.0.1:4100"))?;
    if uri.scheme_str() != Some("http") {
        return Err(format!(
            "{text:?}: only http:// is supported (mfa-mock speaks plain HTTP)"
        ));
    }
    if !matches!(uri.path(), "" | "/") || uri.query().is_some() {
        return Err(format!(
            "{text:?}: give the server's root, without a path or query"
        ));
    }
    let authority = uri
        .authority()
        .ok_or_else(|| format!("{text:?} names no host"))?;
    let host = authority
        .host()
        .trim_start_matches('[')
        .trim_end_matches(']');
    if host.is_empty() {
        return Err(format!("{text:?} names no host"));
    }
    Ok(UrlParts {
        host: host.to_owned(),
        port: authority.port_u16().unwrap_or(80),
        authority: authority.as_str().to_owned(),
    })
}

/// True when every address is a loopback one (and there is at least one).
pub fn all_loopback(addrs: &[SocketAddr]) -> bool {
    !addrs.is_empty() && addrs.iter().all(|addr| addr.ip().is_loopback())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parts(host: &str, port: u16, authority: &str) -> UrlParts {
        UrlParts {
            host: host.to_owned(),
            port,
            authority: authority.to_owned(),
        }
    }

    #[test]
    fn a_plain_url_gives_host_port_and_authority() {
        assert_eq!(
            parse_url("http://127.0.0.1:4100"),
            Ok(parts("127.0.0.1", 4100, "127.0.0.1:4100"))
        );
    }

    #[test]
    fn a_trailing_slash_and_a_missing_scheme_are_accepted() {
        assert_eq!(
            parse_url("localhost:4100/"),
            Ok(parts("localhost", 4100, "localhost:4100"))
        );
    }

    #[test]
    fn a_url_without_a_port_uses_80() {
        assert_eq!(
            parse_url("http://localhost"),
            Ok(parts("localhost", 80, "localhost"))
        );
    }

    #[test]
    fn ipv6_hosts_lose_their_brackets_but_keep_them_in_the_authority() {
        assert_eq!(
            parse_url("http://[::1]:4100"),
            Ok(parts("::1", 4100, "[::1]:4100"))
        );
    }

    #[test]
    fn https_is_refused() {
        let error = parse_url("https://127.0.0.1:4100").expect_err("https");
        assert!(error.contains("only http://"), "{error}");
    }

    #[test]
    fn a_path_or_query_is_refused() {
        assert!(parse_url("http://127.0.0.1:4100/auth").is_err());
        assert!(parse_url("http://127.0.0.1:4100/?x=1").is_err());
    }

    #[test]
    fn garbage_is_refused_with_an_example() {
        let error = parse_url("http://exa mple").expect_err("a space");
        assert!(error.contains("e.g. http://127.0.0.1:4100"), "{error}");
    }

    #[test]
    fn only_loopback_addresses_count_as_this_machine() {
        let local: SocketAddr = "127.0.0.1:1".parse().expect("an address");
        let local6: SocketAddr = "[::1]:1".parse().expect("an address");
        let remote: SocketAddr = "192.0.2.1:1".parse().expect("an address");
        assert!(all_loopback(&[local, local6]));
        assert!(!all_loopback(&[local, remote]));
        assert!(!all_loopback(&[]));
    }

    #[test]
    fn resolving_a_remote_address_needs_allow_remote() {
        assert!(Target::resolve("http://192.0.2.1:4100", false).is_err());
        let target = Target::resolve("http://192.0.2.1:4100", true);
        assert_eq!(target.map(|t| t.authority), Ok("192.0.2.1:4100".to_owned()));
    }
}
