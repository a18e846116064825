//! Generated data, as httpbin and go-httpbin give it: a fresh UUID.

use serde_json::json;
use teapot_wire::{Exchange, Head, Status};

use super::{reply_json, Outcome};

/// `/uuid`: a random (version 4) UUID.
pub async fn uuid(ex: &mut Exchange<'_>) -> Outcome {
    reply_json(ex, Head::new(Status::OK), &json!({ "uuid": uuid_v4() })).await
}

/// A random UUID, version 4, variant 1 (RFC 9562 §5.4), lower case.
pub fn uuid_v4() -> String {
    let mut b: [u8; 16] = fastrand::u128(..).to_be_bytes();
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    let hex: String = b.iter().map(|x| format!("{x:02x}")).collect();
    format!(
        "{}-{}-{}-{}-{}",
        &hex[..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..]
    )
}

#[cfg(test)]
mod tests {
    use super::uuid_v4;

    #[test]
    fn a_uuid_is_version_4_variant_1() {
        let a = uuid_v4();
        assert_eq!(a.len(), 36);
        let parts: Vec<&str> = a.split('-').collect();
        assert_eq!(
            parts.iter().map(|p| p.len()).collect::<Vec<_>>(),
            [8, 4, 4, 4, 12]
        );
        assert!(parts[2].starts_with('4'), "{a}");
        assert!("89ab".contains(&parts[3][..1]), "{a}");
        assert!(a
            .bytes()
            .all(|b| b == b'-' || b.is_ascii_hexdigit() && !b.is_ascii_uppercase()));
        assert_ne!(a, uuid_v4());
    }
}
