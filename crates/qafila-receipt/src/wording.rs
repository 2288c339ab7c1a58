//! The receipt's fixed wording in French and Arabic.
//!
//! The Arabic avoids optional diacritics (shadda, harakat): they add nothing for readers of
//! administrative Arabic and thermal printers smudge them.

use qafila_domain::ApplicationKind;

/// A text in both languages.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Both {
    /// French.
    pub fr: &'static str,
    /// Arabic.
    pub ar: &'static str,
}

const fn both(fr: &'static str, ar: &'static str) -> Both {
    Both { fr, ar }
}

pub(crate) const KINGDOM: Both = both("Royaume du Maroc", "المملكة المغربية");
pub(crate) const CARD: Both = both(
    "Carte nationale d'identité électronique",
    "بطاقة التعريف الوطنية الإلكترونية",
);
pub(crate) const TITLE: Both = both("Récépissé de dépôt", "وصل الإيداع");

pub(crate) const APPLICATION_ID: Both = both("N° de demande", "رقم الطلب");
pub(crate) const KIND: Both = both("Type de demande", "نوع الطلب");
pub(crate) const ENROLLED_AT: Both = both("Date et heure du dépôt", "تاريخ وساعة الإيداع");
pub(crate) const VAN: Both = both("Unité mobile", "الوحدة المتنقلة");
pub(crate) const DRIVE: Both = both("Campagne", "الحملة");
pub(crate) const OPERATOR: Both = both("Agent", "العون");
pub(crate) const FAMILY_NAME: Both = both("Nom", "الاسم العائلي");
pub(crate) const GIVEN_NAMES: Both = both("Prénom(s)", "الاسم الشخصي");
pub(crate) const BIRTH_DATE: Both = both("Date de naissance", "تاريخ الازدياد");

pub(crate) const NOTICE: Both = both(
    "Conservez ce récépissé : il vous sera demandé à la remise de votre carte, qui vous sera \
     délivrée à l'annexe administrative ou au consulat de dépôt dès qu'elle sera prête. \
     Son authenticité se vérifie hors ligne en scannant le code QR.",
    "احتفظوا بهذا الوصل، إذ سيطلب منكم عند تسلم بطاقتكم التي ستسلم لكم بالملحقة الإدارية أو القنصلية \
     التي أودعتم بها طلبكم فور جاهزيتها. يمكن التحقق من صحة هذا الوصل دون اتصال بمسح رمز QR.",
);
pub(crate) const QR_CAPTION: Both = both("Code signé par l'unité mobile", "رمز موقع من طرف الوحدة المتنقلة");

/// The kind of application in both languages.
pub(crate) fn kind(kind: ApplicationKind) -> Both {
    match kind {
        ApplicationKind::FirstCard => both("Première demande", "طلب أول"),
        ApplicationKind::Renewal => both("Renouvellement", "تجديد"),
        ApplicationKind::ReplacementLoss => both("Remplacement (perte)", "تعويض (ضياع)"),
        ApplicationKind::ReplacementTheft => both("Remplacement (vol)", "تعويض (سرقة)"),
        ApplicationKind::ReplacementDamage => both("Remplacement (détérioration)", "تعويض (تلف)"),
        ApplicationKind::DataUpdate => both("Mise à jour des données", "تحيين المعطيات"),
    }
}
