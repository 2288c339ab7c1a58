//! Simulated vans for benchmarks and load tests: they build the same signed, encrypted batches and
//! blob transfer forms a real van builds, from synthetic applicants, without a store on disk.

use chrono::Utc;
use ed25519_dalek::SigningKey;
use qafila_doc::EnrollmentDoc;
use qafila_domain::{BlobRef, Document, DocumentKind, Signature, Status};
use qafila_wire::{BatchPayload, BlobManifest, DocumentChanges, Envelope, PROTOCOL_VERSION, envelope};

/// A van that exists only in memory.
pub struct SimVan {
    /// Its id.
    pub id: String,
    key: SigningKey,
    recipients: Vec<age::x25519::Recipient>,
    seq: u64,
    /// Extra document scan per enrollment, bytes (0 for none): makes enrollments the size asked.
    pub document_bytes: usize,
}

/// One batch and the blobs its enrollments need, ready to send.
pub struct SimBatch {
    /// The envelope bytes.
    pub envelope: Vec<u8>,
    /// Each blob's name and transfer form.
    pub blobs: Vec<(String, Vec<u8>)>,
    /// Bytes of the encrypted payload: the envelope and every blob's transfer form.
    pub encrypted_bytes: usize,
}

impl SimVan {
    /// A van with a key derived from `seed`, sending to `recipients`.
    pub fn new(id: &str, seed: u64, recipients: Vec<age::x25519::Recipient>) -> SimVan {
        let mut k = [0u8; 32];
        k[..8].copy_from_slice(&seed.to_le_bytes());
        k[8..8 + id.len().min(24)].copy_from_slice(&id.as_bytes()[..id.len().min(24)]);
        SimVan {
            id: id.into(),
            key: SigningKey::from_bytes(&k),
            recipients,
            seq: 0,
            document_bytes: 0,
        }
    }

    /// Its public key, hex, for registration.
    pub fn verifying_key_hex(&self) -> String {
        hex::encode(self.key.verifying_key().as_bytes())
    }

    /// The next batch, holding the synthetic applicants `seeds`.
    pub fn batch(&mut self, seeds: impl IntoIterator<Item = u64>) -> SimBatch {
        self.seq += 1;
        let mut documents = Vec::new();
        let mut blobs = Vec::new();
        for seed in seeds {
            let (mut record, mut plain) = qafila_store::sample::complete(seed, &self.id, "OP-SIM", Utc::now());
            if self.document_bytes > 0 {
                let scan = qafila_domain::sample::blob_bytes(seed ^ 0xD0C, self.document_bytes);
                record.documents.push(Document {
                    kind: DocumentKind::BirthCertificate,
                    blob: BlobRef(qafila_store::keys::sha256_hex(&scan)),
                });
                plain.push(scan);
            }
            record.application.status = Status::Sealed;
            record.sign_off.operator = Some(Signature {
                by: "OP-SIM".into(),
                at: Utc::now(),
            });
            let mut doc =
                EnrollmentDoc::new(&record, self.id.as_bytes()).expect("a synthetic record builds a document");
            let mut manifest = Vec::new();
            for p in plain {
                let sha = qafila_store::keys::sha256_hex(&p);
                manifest.push(BlobManifest {
                    sha256: sha.clone(),
                    size: p.len() as u64,
                });
                let t = envelope::encrypt_to(&self.recipients, &p).expect("encryption to valid recipients");
                blobs.push((sha, t));
            }
            documents.push(DocumentChanges {
                id: record.application.id,
                since: vec![],
                changes: doc.save(),
                heads: doc.heads_hex(),
                blobs: manifest,
            });
        }
        let payload = BatchPayload {
            v: PROTOCOL_VERSION,
            van_id: self.id.clone(),
            seq: self.seq,
            batch_id: uuid::Uuid::now_v7(),
            van_clock: Utc::now(),
            van_counter: self.seq,
            documents,
        };
        let envelope = Envelope::seal_batch(&payload, &self.recipients, &self.key)
            .expect("sealing")
            .to_bytes();
        let encrypted_bytes = envelope.len() + blobs.iter().map(|(_, t)| t.len()).sum::<usize>();
        SimBatch {
            envelope,
            blobs,
            encrypted_bytes,
        }
    }

    /// Signs a request as this van.
    pub fn sign_request(&self, method: &str, path: &str, body: &[u8]) -> String {
        qafila_wire::request::sign(&self.key, method, path, body)
    }
}
