//! The center's queues: how a record's status maps to what the staff work on.

/// The queues shown on the dashboard, in order.
pub const QUEUES: [&str; 6] = [
    "received",
    "accepted",
    "rejected",
    "recapture_requested",
    "printed",
    "delivered",
];

/// The queue a status belongs to (`None` for states a center never holds, like drafts).
pub fn of_status(status: &str) -> Option<&'static str> {
    match status {
        // A van sends sealed records; whatever it called them on the way, they wait for review here.
        "sealed" | "sent" | "received" => Some("received"),
        "accepted" => Some("accepted"),
        "rejected" => Some("rejected"),
        "recapture_requested" => Some("recapture_requested"),
        "card_printed" => Some("printed"),
        "delivered" => Some("delivered"),
        _ => None,
    }
}

/// The statuses a queue holds.
pub fn statuses(queue: &str) -> &'static [&'static str] {
    match queue {
        "received" => &["sealed", "sent", "received"],
        "accepted" => &["accepted"],
        "rejected" => &["rejected"],
        "recapture_requested" => &["recapture_requested"],
        "printed" => &["card_printed"],
        "delivered" => &["delivered"],
        _ => &[],
    }
}

/// Whether a reviewer can still decide on a record in this status.
pub fn awaits_review(status: &str) -> bool {
    of_status(status) == Some("received")
}

/// The items a recapture request may name: the portrait, a finger (`fingerprints.1`–`.10`), the
/// documents, or the civil data.
pub fn valid_recapture_item(item: &str) -> bool {
    match item {
        "portrait" | "documents" | "civil" | "fingerprints" => true,
        _ => item
            .strip_prefix("fingerprints.")
            .and_then(|n| n.parse::<u8>().ok())
            .is_some_and(|n| (1..=10).contains(&n)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_queue_round_trips_through_its_statuses() {
        for q in QUEUES {
            assert!(!statuses(q).is_empty());
            for s in statuses(q) {
                assert_eq!(of_status(s), Some(q));
            }
        }
        assert_eq!(of_status("draft"), None);
        assert!(awaits_review("sealed") && !awaits_review("accepted"));
    }

    #[test]
    fn recapture_items_are_checked() {
        assert!(valid_recapture_item("portrait"));
        assert!(valid_recapture_item("fingerprints.10"));
        assert!(!valid_recapture_item("fingerprints.11"));
        assert!(!valid_recapture_item("fingerprints.0"));
        assert!(!valid_recapture_item("soul"));
    }
}
