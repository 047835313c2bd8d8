//! Who a request comes from, for rate limits and queue quotas: the peer address, or behind a
//! trusted reverse proxy the address that proxy saw (the right-most `X-Forwarded-For` hop not
//! itself a trusted proxy). IPv6 addresses are grouped by their /64, which one subscriber
//! usually holds whole: rotating within it does not buy a new bucket.

use std::net::{IpAddr, Ipv6Addr};

/// A client as the limits see it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) struct ClientKey(pub IpAddr);

impl ClientKey {
    /// The key of `peer`, reading `forwarded_for` (an `X-Forwarded-For` value) only when
    /// `peer` is one of `trusted`.
    pub fn new(peer: IpAddr, forwarded_for: Option<&str>, trusted: &[IpAddr]) -> ClientKey {
        let mut ip = canonical(peer);
        if trusted.contains(&ip) {
            if let Some(list) = forwarded_for {
                // Hops are appended left to right; the right-most ones were added by our proxies.
                for hop in list.rsplit(',') {
                    match hop.trim().parse::<IpAddr>() {
                        Ok(h) => {
                            ip = canonical(h);
                            if !trusted.contains(&ip) {
                                break;
                            }
                        }
                        // A hop a proxy did not write: the peer we trust is what we know.
                        Err(_) => break,
                    }
                }
            }
        }
        ClientKey(group(ip))
    }
}

/// IPv4-mapped IPv6 addresses as IPv4.
fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map(IpAddr::V4).unwrap_or(IpAddr::V6(v6)),
        v4 => v4,
    }
}

/// IPv6 addresses by /64; IPv4 addresses as they are.
fn group(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => {
            let s = v6.segments();
            IpAddr::V6(Ipv6Addr::new(s[0], s[1], s[2], s[3], 0, 0, 0, 0))
        }
        v4 => v4,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn ipv6_clients_share_their_64() {
        let a = ClientKey::new(ip("2001:db8:1:2:aaaa::1"), None, &[]);
        let b = ClientKey::new(ip("2001:db8:1:2:ffff:1:2:3"), None, &[]);
        let c = ClientKey::new(ip("2001:db8:1:3::1"), None, &[]);
        assert_eq!(a, b);
        assert_ne!(a, c);
        assert_eq!(ClientKey::new(ip("::ffff:10.0.0.7"), None, &[]), ClientKey(ip("10.0.0.7")));
    }

    #[test]
    fn forwarded_for_counts_only_from_a_trusted_proxy() {
        let proxy = ip("10.0.0.1");
        // Untrusted peer: its header is ignored (anyone can write one).
        assert_eq!(ClientKey::new(ip("192.0.2.9"), Some("198.51.100.1"), &[proxy]), ClientKey(ip("192.0.2.9")));
        // Trusted proxy: the right-most hop it did not add itself.
        let trusted = [proxy, ip("10.0.0.2")];
        let k = ClientKey::new(proxy, Some("203.0.113.5, 198.51.100.1, 10.0.0.2"), &trusted);
        assert_eq!(k, ClientKey(ip("198.51.100.1")), "a client-written left-most hop does not count");
        // A proxy with no header, or garbage: the proxy itself.
        assert_eq!(ClientKey::new(proxy, None, &trusted), ClientKey(proxy));
        assert_eq!(ClientKey::new(proxy, Some("not an address"), &trusted), ClientKey(proxy));
    }
}
