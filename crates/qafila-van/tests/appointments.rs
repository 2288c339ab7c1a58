//! From the portal to the wizard: a center publishes a drive's bookings, the van syncs over HTTP,
//! the operator picks a citizen and the new draft holds their civil data, ready to check.

use std::sync::Arc;

use chrono::{Days, Utc};
use qafila_server::center::Center;
use qafila_server::config::Routing;
use qafila_server::db::CenterDb;
use qafila_server::keys::CenterKeys;
use qafila_server::sqlite::SqliteDb;
use qafila_store::{InitOptions, Store};
use qafila_van::Engine;
use qafila_van::settings::CenterSetting;

const PASS: &str = "supervisor passphrase";

#[test]
fn an_appointment_becomes_a_prefilled_draft() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("van");
    let mut van = Store::init(
        &store,
        InitOptions {
            van_id: "VAN-T".into(),
            operator_id: "SUP-1".into(),
            passphrase: PASS.into(),
            recovery: None,
            kdf_log_n: 10,
        },
    )
    .unwrap();

    let rt = tokio::runtime::Runtime::new().unwrap();
    let (url, center) = rt.block_on(async {
        let db = SqliteDb::open(&dir.path().join("rabat.db")).unwrap();
        db.migrate().await.unwrap();
        let center = Arc::new(Center::new(
            CenterKeys::generate("rabat").unwrap(),
            Arc::new(db),
            Routing::default(),
            vec![],
        ));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let app = qafila_server::http::router(center.clone());
        tokio::spawn(async move { axum::serve(listener, app).await });
        (format!("http://{addr}"), center)
    });
    let info = center.keys().public_info();
    van.add_center(&info.center, &info.verifying_key, &info.recipient)
        .unwrap();
    let key = hex::encode(van.store().public_key().unwrap().as_bytes());
    rt.block_on(center.register_van("VAN-T", &key, &van.update_recipient().unwrap()))
        .unwrap();
    drop(van);

    // The portal's export for a two-day drive starting today.
    let today = Utc::now().date_naive();
    let tomorrow = today + Days::new(1);
    let file = serde_json::json!([
        {"booking": "RDV-2", "slot": format!("{tomorrow}T08:00"),
         "prefill": {"family_name": {"latin": "BENNANI", "arabic": "بناني"}}},
        {"booking": "RDV-1", "slot": format!("{today}T09:30"),
         "prefill": {
            "family_name": {"latin": "OUZZANI", "arabic": "الوزاني"},
            "given_names": {"latin": "SALMA", "arabic": "سلمى"},
            "sex": "female",
            "birth_date": "1991-04-17",
            "birth_place": {"in": "morocco", "province": "05-03", "commune": "Azrou"},
            "address": {"in": "morocco", "line": "12 rue Atlas", "commune": "Ifrane", "province": "05-03"},
            "phone": "+212600000001"
         }}
    ]);
    let list = qafila_server::appointments::parse_portal(file.to_string().as_bytes(), today, tomorrow).unwrap();
    rt.block_on(center.publish_appointments("VAN-T", "ifrane", today, tomorrow, list))
        .unwrap();

    let e = Engine::open(&store, Arc::new(|_| {})).unwrap();
    e.unlock("SUP-1", PASS).unwrap();
    let mut s = e.settings();
    s.centers = vec![CenterSetting {
        id: "rabat".into(),
        url,
    }];
    e.set_settings(s).unwrap();
    let result = e.sync_now().unwrap();
    assert_eq!(result["appointments"], 1, "{result}");

    // Upcoming, by slot; today's alone on request.
    let all = e.appointments(false).unwrap();
    assert_eq!(
        all.iter().map(|a| a.booking.as_str()).collect::<Vec<_>>(),
        ["RDV-1", "RDV-2"]
    );
    assert_eq!(all[0].name, "OUZZANI SALMA");
    assert_eq!(all[0].name_ar, "الوزاني سلمى");
    assert!(all[0].today && !all[1].today);
    assert_eq!(e.appointments(true).unwrap().len(), 1);

    // Starting it makes a draft whose civil data is the portal's, in the booking's drive.
    let d = e.draft_from_appointment("ifrane", "RDV-1", "first_card").unwrap();
    let civil = &d.record["civil"];
    assert_eq!(civil["family_name"]["latin"], "OUZZANI");
    assert_eq!(civil["given_names"]["arabic"], "سلمى");
    assert_eq!(civil["birth_date"], "1991-04-17");
    assert_eq!(civil["address"]["commune"], "Ifrane");
    assert_eq!(civil["phone"], "+212600000001");
    assert_eq!(d.record["application"]["drive_id"], "ifrane");
    assert_eq!(d.appointment.as_ref().map(|a| a.booking.as_str()), Some("RDV-1"));
    // The wizard resumes it at the civil-data step, where the operator checks and corrects.
    let summary = e.drafts().unwrap().into_iter().find(|s| s.id == d.id).unwrap();
    assert_eq!(
        (summary.step.as_str(), summary.name.as_str()),
        ("civil", "OUZZANI SALMA")
    );
    let mut record = d.record.clone();
    record["civil"]["given_names"]["latin"] = "SALMA AICHA".into();
    e.draft_save(&d.id, &record).unwrap();
    assert_eq!(
        e.draft_get(&d.id).unwrap().record["civil"]["given_names"]["latin"],
        "SALMA AICHA"
    );

    // The booking is marked started; starting it again resumes the same draft.
    let listed = e.appointments(false).unwrap();
    assert_eq!(listed[0].draft_id.as_deref(), Some(d.id.as_str()));
    assert_eq!(listed[1].draft_id, None);
    assert_eq!(
        e.draft_from_appointment("ifrane", "RDV-1", "first_card").unwrap().id,
        d.id
    );
    assert_eq!(e.drafts().unwrap().len(), 1);
    assert_eq!(
        e.draft_from_appointment("ifrane", "RDV-404", "first_card")
            .unwrap_err()
            .code(),
        "bad_input"
    );
}
