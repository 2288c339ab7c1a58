// A small transliteration table for the fake backend's `transliterate`: common Moroccan names,
// then letter by letter. The real engine has its own; this only has to look plausible in demos.
const WORDS: [string, string][] = [
  ['MOHAMED', 'محمد'], ['MOHAMMED', 'محمد'], ['AHMED', 'أحمد'], ['YOUSSEF', 'يوسف'], ['HASSAN', 'حسن'],
  ['RACHID', 'رشيد'], ['KARIM', 'كريم'], ['OMAR', 'عمر'], ['ALI', 'علي'], ['HAMID', 'حميد'], ['SAID', 'سعيد'],
  ['FATIMA', 'فاطمة'], ['FATIMA ZAHRA', 'فاطمة الزهراء'], ['KHADIJA', 'خديجة'], ['AICHA', 'عائشة'], ['NADIA', 'نادية'],
  ['SALMA', 'سلمى'], ['MERYEM', 'مريم'], ['ZINEB', 'زينب'], ['HOUDA', 'هدى'], ['ITTO', 'إطو'], ['FADMA', 'فاضمة'],
  ['EL AMRANI', 'العمراني'], ['EL IDRISSI', 'الإدريسي'], ['BENNANI', 'بناني'], ['ALAOUI', 'العلوي'],
  ['EL FASSI', 'الفاسي'], ['TAZI', 'التازي'], ['BERRADA', 'برادة'], ['CHRAIBI', 'الشرايبي'], ['AIT OUFKIR', 'آيت أوفقير'],
  ['MOHA', 'موحى'], ['ID BELLA', 'إد بلا'], ['BEN', 'بن'], ['EL', 'ال'],
];

const LETTERS: Record<string, string> = {
  A: 'ا', B: 'ب', C: 'ك', D: 'د', E: 'ي', F: 'ف', G: 'ك', H: 'ه', I: 'ي', J: 'ج', K: 'ك', L: 'ل', M: 'م',
  N: 'ن', O: 'و', P: 'ب', Q: 'ق', R: 'ر', S: 'س', T: 'ت', U: 'و', V: 'ف', W: 'و', X: 'كس', Y: 'ي', Z: 'ز',
};
const BACK: Record<string, string> = {
  'ا': 'A', 'أ': 'A', 'إ': 'I', 'آ': 'A', 'ب': 'B', 'ت': 'T', 'ث': 'T', 'ج': 'J', 'ح': 'H', 'خ': 'KH', 'د': 'D',
  'ذ': 'D', 'ر': 'R', 'ز': 'Z', 'س': 'S', 'ش': 'CH', 'ص': 'S', 'ض': 'D', 'ط': 'T', 'ظ': 'D', 'ع': 'A', 'غ': 'GH',
  'ف': 'F', 'ق': 'K', 'ك': 'K', 'ل': 'L', 'م': 'M', 'ن': 'N', 'ه': 'H', 'ة': 'A', 'و': 'OU', 'ي': 'I', 'ى': 'A',
  'ء': '', 'ئ': 'I', 'ؤ': 'OU', ' ': ' ',
};

export function transliterate(text: string, to: 'arabic' | 'latin'): string {
  const t = text.trim();
  if (!t) return '';
  if (to === 'arabic') {
    const whole = WORDS.find(([l]) => l === t.toUpperCase());
    if (whole) return whole[1];
    return t
      .toUpperCase()
      .split(/\s+/)
      .map((w) => WORDS.find(([l]) => l === w)?.[1] ?? [...w].map((ch) => LETTERS[ch] ?? '').join(''))
      .join(' ');
  }
  const whole = WORDS.find(([, a]) => a === t);
  if (whole) return whole[0];
  return t
    .split(/\s+/)
    .map((w) => WORDS.find(([, a]) => a === w)?.[0] ?? [...w].map((ch) => BACK[ch] ?? '').join(''))
    .join(' ');
}
