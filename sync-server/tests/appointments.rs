//! Appointment lists over real HTTP: an administrator publishes the portal's export, the van pulls
//! it at sync, no other van can read it, a stale version never replaces a newer one, and once the
//! drive is over neither the center nor the van holds it — and the van never held it in clear.

mod common;

use chrono::{Days, NaiveDate, Utc};
use common::{Server, start, van};
use qafila_server::appointments::parse_portal;
use qafila_server::staff;
use qafila_store::{InitOptions, Store, Van};
use qafila_sync::{SyncOptions, sync_once};
use qafila_wire::request;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

const PASSWORD: &str = "a long staff passphrase";
const FAMILY: &str = "OUZZANI";
const FAMILY_AR: &str = "الوزاني";

fn portal(day: NaiveDate, given: &str) -> Value {
    json!([
        {
            "booking": "RDV-0001",
            "slot": format!("{day}T09:30"),
            "prefill": {
                "family_name": {"latin": FAMILY, "arabic": FAMILY_AR},
                "given_names": {"latin": given},
                "sex": "female",
                "birth_date": "1991-04-17",
                "birth_place": {"in": "morocco", "province": "05-03", "commune": "Azrou"},
                "father": {"latin": "AHMED OUZZANI"},
                "address": {"in": "morocco", "line": "12 rue Atlas", "commune": "Ifrane", "province": "05-03"},
                "phone": "+212600000001"
            }
        },
        {"booking": "RDV-0002", "slot": format!("{day}T10:00:00")}
    ])
}

async fn pull(s: &Server, sender: &str, signer: &Van, van_in_path: &str) -> (StatusCode, Vec<u8>) {
    let path = format!("/v1/vans/{van_in_path}/appointments");
    let sig = signer.sign_request("GET", &path, &[]);
    let resp = s
        .http
        .get(format!("{}{path}", s.url))
        .header(request::SENDER, sender)
        .header(request::SIGNATURE, sig)
        .send()
        .await
        .expect("request");
    (resp.status(), resp.bytes().await.expect("body").to_vec())
}

fn db_bytes(dir: &std::path::Path) -> Vec<u8> {
    let mut all = Vec::new();
    for name in ["van.db", "van.db-wal"] {
        all.extend(std::fs::read(dir.join(name)).unwrap_or_default());
    }
    all
}

fn contains(haystack: &[u8], needle: &str) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle.as_bytes())
}

#[test]
fn a_malformed_portal_file_names_each_entry_and_field() {
    let day = NaiveDate::from_ymd_opt(2030, 3, 10).unwrap();
    let file = json!([
        {"booking": "RDV-1", "slot": "2030-03-10T09:00"},
        {"slot": "tomorrow at nine", "prefill": {"sex": "x"}},
        {"booking": "RDV-3", "slot": "2030-04-01T09:00", "cin": "AB1234",
         "prefill": {"birth_date": "1990-13-01", "family_name": {"latin": "123"}, "phone": "0600"}},
        {"booking": "RDV-1", "slot": "2030-03-10T09:30"},
        "not an object"
    ]);
    let problems = parse_portal(file.to_string().as_bytes(), day, day).unwrap_err();
    let text = problems.join("\n");
    for expected in [
        "entry 2: booking: is required",
        "entry 2: slot: \"tomorrow at nine\" is not a local date and time",
        "entry 2: prefill.sex:",
        "entry 3 (RDV-3): cin: unknown field",
        "entry 3 (RDV-3): slot: 2030-04-01T09:00 is outside the drive",
        "entry 3 (RDV-3): prefill.birth_date:",
        "entry 3 (RDV-3): prefill.family_name.latin: must be Latin letters",
        "entry 3 (RDV-3): prefill.phone: must be international",
        "entry 4 (RDV-1): booking: appears twice",
        "entry 5: -: must be an object",
    ] {
        assert!(text.contains(expected), "missing {expected:?} in:\n{text}");
    }
    assert!(!problems.iter().any(|p| p.starts_with("entry 1")), "{text}");
    assert!(parse_portal(b"{\"not\": \"a list\"}", day, day).is_err());
    assert!(parse_portal(b"[", day, day).unwrap_err()[0].contains("not JSON"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn published_pulled_private_replaced_and_purged() {
    let tmp = tempfile::tempdir().unwrap();
    let s = start(tmp.path()).await;
    let db = s.center.db().clone();
    for (id, role) in [("rami", "reviewer"), ("amina", "administrator")] {
        staff::put_staff(db.as_ref(), id, id, role, PASSWORD).await.unwrap();
    }
    let mut v = van(tmp.path(), &s).await;
    let van_dir = tmp.path().join("van");
    let today = Utc::now().date_naive();
    let last_day = today + Days::new(1);
    let publication = |given: &str| json!({"drive_id": "ifrane-2030", "from": today, "to": last_day, "appointments": portal(today, given)});

    // Only an administrator publishes; a bad list is refused with every problem named.
    let reviewer = s.login("rami", PASSWORD).await.expect("reviewer");
    let path = "/api/vans/VAN-07/appointments";
    let (st, _) = s
        .call(Some(&reviewer), Method::POST, path, Some(publication("SALMA")), true)
        .await;
    assert_eq!(st, StatusCode::FORBIDDEN);
    let admin = s.login("amina", PASSWORD).await.expect("administrator");
    let (st, _) = s
        .call(Some(&admin), Method::POST, path, Some(publication("SALMA")), false)
        .await;
    assert_eq!(st, StatusCode::FORBIDDEN, "a change without the CSRF token");
    let bad = json!({"drive_id": "ifrane-2030", "from": today, "to": last_day,
        "appointments": [{"booking": "RDV-9", "slot": "soon", "prefill": {"sex": "x"}}]});
    let (st, body) = s.call(Some(&admin), Method::POST, path, Some(bad), true).await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(body["problems"].as_array().map(Vec::len), Some(2), "{body}");
    assert!(
        body["problems"][0]
            .as_str()
            .unwrap()
            .starts_with("entry 1 (RDV-9): slot"),
        "{body}"
    );
    let (st, body) = s
        .call(
            Some(&admin),
            Method::POST,
            "/api/vans/VAN-99/appointments",
            Some(publication("SALMA")),
            true,
        )
        .await;
    assert_eq!(st, StatusCode::NOT_FOUND, "{body}");
    let (st, body) = s
        .call(Some(&admin), Method::POST, path, Some(publication("SALMA")), true)
        .await;
    assert_eq!(st, StatusCode::OK, "{body}");
    assert_eq!(
        (body["version"].as_u64(), body["appointments"].as_u64()),
        (Some(1), Some(2))
    );

    // The audit log has the publication with counts, and no name.
    let (_, log) = s.call(Some(&admin), Method::GET, "/api/audit", None, false).await;
    let entry = log["entries"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["action"] == "appointments.publish" && e["detail"].as_str().unwrap_or("").contains("version 1"))
        .unwrap_or_else(|| panic!("no publication audited: {log}"));
    assert_eq!(entry["target"], "VAN-07");
    assert!(!log.to_string().contains(FAMILY) && !log.to_string().contains("SALMA"));

    // The van pulls it at sync and keeps it encrypted.
    let opts = SyncOptions {
        attempts: 2,
        ..SyncOptions::default()
    };
    let report = sync_once(&mut v, &s.url, &opts, &mut |_| {}).await.expect("sync");
    assert_eq!(report.appointments, 1);
    let held = v.appointment_lists().unwrap();
    assert_eq!(held.len(), 1);
    let list = &held[0].list;
    assert_eq!(
        (list.drive_id.as_str(), list.version, list.drive_end),
        ("ifrane-2030", 1, last_day)
    );
    let first = &list.appointments[0].prefill;
    assert_eq!(
        first.family_name.as_ref().and_then(|n| n.arabic.as_deref()),
        Some(FAMILY_AR)
    );
    assert_eq!(first.birth_date.map(|d| d.to_string()).as_deref(), Some("1991-04-17"));
    let on_disk = db_bytes(&van_dir);
    assert!(!contains(&on_disk, FAMILY) && !contains(&on_disk, FAMILY_AR) && !contains(&on_disk, "RDV-0001"));

    // Another van reads none of it: not with its own key, not in its own name.
    let mut other = Store::init(
        &tmp.path().join("van8"),
        InitOptions {
            van_id: "VAN-08".into(),
            operator_id: "SUP".into(),
            passphrase: "van passphrase".into(),
            recovery: None,
            kdf_log_n: 10,
        },
    )
    .unwrap();
    let key = hex::encode(other.store().public_key().unwrap().as_bytes());
    s.center
        .register_van("VAN-08", &key, &other.update_recipient().unwrap())
        .await
        .unwrap();
    assert_eq!(pull(&s, "VAN-08", &other, "VAN-07").await.0, StatusCode::FORBIDDEN);
    assert_eq!(pull(&s, "VAN-07", &other, "VAN-07").await.0, StatusCode::FORBIDDEN);
    assert_eq!(pull(&s, "VAN-08", &other, "VAN-08").await.0, StatusCode::NO_CONTENT);
    let (st, v1_pack) = pull(&s, "VAN-07", &v, "VAN-07").await;
    assert_eq!(st, StatusCode::OK);
    // Even holding the bytes, the other van cannot open them.
    other
        .add_center(
            "rabat",
            &s.center.keys().public_info().verifying_key,
            &s.center.keys().public_info().recipient,
        )
        .unwrap();
    assert!(other.apply_appointments(&v1_pack).is_err());

    // A new version replaces the list; the old one, replayed, changes nothing.
    let (st, body) = s
        .call(Some(&admin), Method::POST, path, Some(publication("NADIA")), true)
        .await;
    assert_eq!((st, body["version"].as_u64()), (StatusCode::OK, Some(2)), "{body}");
    let report = sync_once(&mut v, &s.url, &opts, &mut |_| {}).await.expect("sync");
    assert_eq!(report.appointments, 1);
    assert_eq!(v.apply_appointments(&v1_pack).unwrap(), 0);
    let report = sync_once(&mut v, &s.url, &opts, &mut |_| {}).await.expect("sync");
    assert_eq!(report.appointments, 0, "the same version again is not news");
    let held = v.appointment_lists().unwrap();
    assert_eq!(held[0].list.version, 2);
    let given = held[0].list.appointments[0].prefill.given_names.clone().unwrap().latin;
    assert_eq!(given.as_deref(), Some("NADIA"));

    // After the drive's last day, the center and the van hold none of it.
    let after = last_day + Days::new(1);
    assert_eq!(s.center.purge_appointments_before(last_day).await.unwrap(), 0);
    assert_eq!(s.center.purge_appointments_before(after).await.unwrap(), 1);
    assert_eq!(pull(&s, "VAN-07", &v, "VAN-07").await.0, StatusCode::NO_CONTENT);
    assert!(db.appointment_lists("VAN-07").await.unwrap().is_empty());
    assert_eq!(v.purge_appointments(last_day).unwrap(), 0);
    assert_eq!(v.purge_appointments(after).unwrap(), 1);
    assert!(v.appointment_lists().unwrap().is_empty());
    let on_disk = db_bytes(&van_dir);
    assert!(!contains(&on_disk, FAMILY) && !contains(&on_disk, "NADIA"));

    // The store purges ended drives when it opens, even before anyone unlocks it.
    let (st, body) = s
        .call(Some(&admin), Method::POST, path, Some(publication("SALMA")), true)
        .await;
    assert_eq!(st, StatusCode::OK, "{body}");
    sync_once(&mut v, &s.url, &opts, &mut |_| {}).await.expect("sync");
    assert_eq!(v.appointment_lists().unwrap().len(), 1);
    drop(v);
    let conn = rusqlite::Connection::open(van_dir.join("van.db")).unwrap();
    conn.execute("UPDATE appointment_lists SET drive_end = '2000-01-01'", [])
        .unwrap();
    drop(conn);
    let v = Store::open(&van_dir).unwrap().unlock("SUP", "van passphrase").unwrap();
    assert!(v.appointment_lists().unwrap().is_empty());
}
