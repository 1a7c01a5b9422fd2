//! Realistic Japanese company and person names for the demo ledger.
//!
//! Names are built from small tables of words with their readings. Kana follow the
//! 全銀 conventions a bank's ledger uses: half-width katakana, small kana written large
//! (`ｼﾖ` for ショ, `ﾘﾕｳ` for リュウ), dakuten as a separate half-width character, and
//! the legal form as an abbreviation mark (`ｶ)ﾔﾏﾀﾞｾｲｻｸｼﾖ`, `ﾔﾏﾀﾞｾｲｻｸｼﾖ(ｶ`). The long
//! vowel is written `ｰ`; some banks write `-`, and search treats the two alike.
//!
//! Generation draws only from the given RNG, so a seeded RNG always gives the same names.

use rand::Rng;

/// A company's registered name and its 全銀 kana.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CompanyName {
    /// The name as registered, e.g. `株式会社山田製作所`.
    pub kanji: String,
    /// 全銀 half-width kana, e.g. `ｶ)ﾔﾏﾀﾞｾｲｻｸｼﾖ`.
    pub kana: String,
}

/// A word of a name: how it is written, its 全銀 kana, and its reading as someone would
/// type it in full-width katakana (kept to check the 全銀 column against).
struct Word {
    kanji: &'static str,
    kana: &'static str,
    #[cfg_attr(not(test), allow(dead_code))]
    typed: &'static str,
}

/// Shorthand for the tables below.
const fn w(kanji: &'static str, kana: &'static str, typed: &'static str) -> Word {
    Word { kanji, kana, typed }
}

/// Family names: the first word of many companies, and of every person.
const SURNAMES: &[Word] = &[
    w("山田", "ﾔﾏﾀﾞ", "ヤマダ"),
    w("佐藤", "ｻﾄｳ", "サトウ"),
    w("鈴木", "ｽｽﾞｷ", "スズキ"),
    w("高橋", "ﾀｶﾊｼ", "タカハシ"),
    w("田中", "ﾀﾅｶ", "タナカ"),
    w("伊藤", "ｲﾄｳ", "イトウ"),
    w("渡辺", "ﾜﾀﾅﾍﾞ", "ワタナベ"),
    w("中村", "ﾅｶﾑﾗ", "ナカムラ"),
    w("小林", "ｺﾊﾞﾔｼ", "コバヤシ"),
    w("加藤", "ｶﾄｳ", "カトウ"),
    w("吉田", "ﾖｼﾀﾞ", "ヨシダ"),
    w("山本", "ﾔﾏﾓﾄ", "ヤマモト"),
    w("佐々木", "ｻｻｷ", "ササキ"),
    w("山口", "ﾔﾏｸﾞﾁ", "ヤマグチ"),
    w("松本", "ﾏﾂﾓﾄ", "マツモト"),
    w("井上", "ｲﾉｳｴ", "イノウエ"),
    w("木村", "ｷﾑﾗ", "キムラ"),
    w("林", "ﾊﾔｼ", "ハヤシ"),
    w("斎藤", "ｻｲﾄｳ", "サイトウ"),
    w("清水", "ｼﾐｽﾞ", "シミズ"),
    w("山崎", "ﾔﾏｻﾞｷ", "ヤマザキ"),
    w("森", "ﾓﾘ", "モリ"),
    w("池田", "ｲｹﾀﾞ", "イケダ"),
    w("橋本", "ﾊｼﾓﾄ", "ハシモト"),
    w("阿部", "ｱﾍﾞ", "アベ"),
    w("石川", "ｲｼｶﾜ", "イシカワ"),
    w("山下", "ﾔﾏｼﾀ", "ヤマシタ"),
    w("中島", "ﾅｶｼﾞﾏ", "ナカジマ"),
    w("石井", "ｲｼｲ", "イシイ"),
    w("小川", "ｵｶﾞﾜ", "オガワ"),
    w("前田", "ﾏｴﾀﾞ", "マエダ"),
    w("岡田", "ｵｶﾀﾞ", "オカダ"),
    w("長谷川", "ﾊｾｶﾞﾜ", "ハセガワ"),
    w("藤田", "ﾌｼﾞﾀ", "フジタ"),
    w("後藤", "ｺﾞﾄｳ", "ゴトウ"),
    w("近藤", "ｺﾝﾄﾞｳ", "コンドウ"),
    w("村上", "ﾑﾗｶﾐ", "ムラカミ"),
    w("遠藤", "ｴﾝﾄﾞｳ", "エンドウ"),
    w("青木", "ｱｵｷ", "アオキ"),
    w("坂本", "ｻｶﾓﾄ", "サカモト"),
    w("福田", "ﾌｸﾀﾞ", "フクダ"),
    w("太田", "ｵｵﾀ", "オオタ"),
    w("西村", "ﾆｼﾑﾗ", "ニシムラ"),
    w("藤井", "ﾌｼﾞｲ", "フジイ"),
    w("金子", "ｶﾈｺ", "カネコ"),
    w("岡本", "ｵｶﾓﾄ", "オカモト"),
    w("藤原", "ﾌｼﾞﾜﾗ", "フジワラ"),
    w("中野", "ﾅｶﾉ", "ナカノ"),
    w("三浦", "ﾐｳﾗ", "ミウラ"),
    w("原田", "ﾊﾗﾀﾞ", "ハラダ"),
    w("中川", "ﾅｶｶﾞﾜ", "ナカガワ"),
    w("松田", "ﾏﾂﾀﾞ", "マツダ"),
    w("竹内", "ﾀｹｳﾁ", "タケウチ"),
    w("小野", "ｵﾉ", "オノ"),
    w("田村", "ﾀﾑﾗ", "タムラ"),
    w("中山", "ﾅｶﾔﾏ", "ナカヤマ"),
    w("和田", "ﾜﾀﾞ", "ワダ"),
    w("石田", "ｲｼﾀﾞ", "イシダ"),
    w("上田", "ｳｴﾀﾞ", "ウエダ"),
    w("森田", "ﾓﾘﾀ", "モリタ"),
    w("柴田", "ｼﾊﾞﾀ", "シバタ"),
    w("酒井", "ｻｶｲ", "サカイ"),
    w("工藤", "ｸﾄﾞｳ", "クドウ"),
    w("横山", "ﾖｺﾔﾏ", "ヨコヤマ"),
    w("宮崎", "ﾐﾔｻﾞｷ", "ミヤザキ"),
    w("宮本", "ﾐﾔﾓﾄ", "ミヤモト"),
    w("内田", "ｳﾁﾀﾞ", "ウチダ"),
    w("高木", "ﾀｶｷﾞ", "タカギ"),
    w("丸井", "ﾏﾙｲ", "マルイ"),
    w("東條", "ﾄｳｼﾞﾖｳ", "トウジョウ"),
    w("菊池", "ｷｸﾁ", "キクチ"),
    w("渋谷", "ｼﾌﾞﾔ", "シブヤ"),
];

/// Place names and auspicious words companies are named after.
const PLACE_WORDS: &[Word] = &[
    w("青空", "ｱｵｿﾞﾗ", "アオゾラ"),
    w("東西", "ﾄｳｻﾞｲ", "トウザイ"),
    w("北辰", "ﾎｸｼﾝ", "ホクシン"),
    w("大和", "ﾔﾏﾄ", "ヤマト"),
    w("富士", "ﾌｼﾞ", "フジ"),
    w("日の出", "ﾋﾉﾃﾞ", "ヒノデ"),
    w("旭", "ｱｻﾋ", "アサヒ"),
    w("東洋", "ﾄｳﾖｳ", "トウヨウ"),
    w("太平洋", "ﾀｲﾍｲﾖｳ", "タイヘイヨウ"),
    w("三栄", "ｻﾝｴｲ", "サンエイ"),
    w("大成", "ﾀｲｾｲ", "タイセイ"),
    w("共栄", "ｷﾖｳｴｲ", "キョウエイ"),
    w("協和", "ｷﾖｳﾜ", "キョウワ"),
    w("平和", "ﾍｲﾜ", "ヘイワ"),
    w("昭和", "ｼﾖｳﾜ", "ショウワ"),
    w("若葉", "ﾜｶﾊﾞ", "ワカバ"),
    w("緑", "ﾐﾄﾞﾘ", "ミドリ"),
    w("浜松", "ﾊﾏﾏﾂ", "ハママツ"),
    w("横浜", "ﾖｺﾊﾏ", "ヨコハマ"),
    w("湘南", "ｼﾖｳﾅﾝ", "ショウナン"),
    w("北海", "ﾎﾂｶｲ", "ホッカイ"),
    w("関東", "ｶﾝﾄｳ", "カントウ"),
    w("関西", "ｶﾝｻｲ", "カンサイ"),
    w("九州", "ｷﾕｳｼﾕｳ", "キュウシュウ"),
    w("中部", "ﾁﾕｳﾌﾞ", "チュウブ"),
    w("信越", "ｼﾝｴﾂ", "シンエツ"),
    w("瀬戸内", "ｾﾄｳﾁ", "セトウチ"),
    w("北斗", "ﾎｸﾄ", "ホクト"),
    w("明星", "ﾐﾖｳｼﾞﾖｳ", "ミョウジョウ"),
    w("白鳥", "ｼﾗﾄﾘ", "シラトリ"),
    w("千代田", "ﾁﾖﾀﾞ", "チヨダ"),
    w("日本橋", "ﾆﾎﾝﾊﾞｼ", "ニホンバシ"),
    w("丸の内", "ﾏﾙﾉｳﾁ", "マルノウチ"),
    w("新星", "ｼﾝｾｲ", "シンセイ"),
    w("黎明", "ﾚｲﾒｲ", "レイメイ"),
    w("常盤", "ﾄｷﾜ", "トキワ"),
    w("雅", "ﾐﾔﾋﾞ", "ミヤビ"),
    w("葵", "ｱｵｲ", "アオイ"),
    w("東西南北", "ﾄｳｻﾞｲﾅﾝﾎﾞｸ", "トウザイナンボク"),
    w("みなと", "ﾐﾅﾄ", "ミナト"),
    w("ひかり", "ﾋｶﾘ", "ヒカリ"),
    w("さくら", "ｻｸﾗ", "サクラ"),
    w("あおば", "ｱｵﾊﾞ", "アオバ"),
    w("つばさ", "ﾂﾊﾞｻ", "ツバサ"),
    w("ひまわり", "ﾋﾏﾜﾘ", "ヒマワリ"),
    w("のぞみ", "ﾉｿﾞﾐ", "ノゾミ"),
    w("サンライズ", "ｻﾝﾗｲｽﾞ", "サンライズ"),
    w("アルファ", "ｱﾙﾌｱ", "アルファ"),
    w("グリーン", "ｸﾞﾘｰﾝ", "グリーン"),
    w("ミライ", "ﾐﾗｲ", "ミライ"),
    w("ヴィーナス", "ｳﾞｲｰﾅｽ", "ヴィーナス"),
    w("キャピタル", "ｷﾔﾋﾟﾀﾙ", "キャピタル"),
];

/// Optional second word between the name and the trade (山田 *精密* 工業).
const MIDDLE_WORDS: &[Word] = &[
    w("総合", "ｿｳｺﾞｳ", "ソウゴウ"),
    w("精密", "ｾｲﾐﾂ", "セイミツ"),
    w("化学", "ｶｶﾞｸ", "カガク"),
    w("国際", "ｺｸｻｲ", "コクサイ"),
    w("中央", "ﾁﾕｳｵｳ", "チュウオウ"),
    w("機械", "ｷｶｲ", "キカイ"),
    w("電子", "ﾃﾞﾝｼ", "デンシ"),
    w("住宅", "ｼﾞﾕｳﾀｸ", "ジュウタク"),
    w("環境", "ｶﾝｷﾖｳ", "カンキョウ"),
    w("情報", "ｼﾞﾖｳﾎｳ", "ジョウホウ"),
    w("海運", "ｶｲｳﾝ", "カイウン"),
    w("金属", "ｷﾝｿﾞｸ", "キンゾク"),
    w("通信", "ﾂｳｼﾝ", "ツウシン"),
    w("医療", "ｲﾘﾖｳ", "イリョウ"),
    w("物産", "ﾌﾞﾂｻﾝ", "ブッサン"),
    w("建材", "ｹﾝｻﾞｲ", "ケンザイ"),
];

/// The trade that ends a company name.
const TRADES: &[Word] = &[
    w("製作所", "ｾｲｻｸｼﾖ", "セイサクショ"),
    w("商事", "ｼﾖｳｼﾞ", "ショウジ"),
    w("物流", "ﾌﾞﾂﾘﾕｳ", "ブツリュウ"),
    w("建設", "ｹﾝｾﾂ", "ケンセツ"),
    w("工業", "ｺｳｷﾞﾖｳ", "コウギョウ"),
    w("食品", "ｼﾖｸﾋﾝ", "ショクヒン"),
    w("ソフト", "ｿﾌﾄ", "ソフト"),
    w("産業", "ｻﾝｷﾞﾖｳ", "サンギョウ"),
    w("興産", "ｺｳｻﾝ", "コウサン"),
    w("電機", "ﾃﾞﾝｷ", "デンキ"),
    w("技研", "ｷﾞｹﾝ", "ギケン"),
    w("工務店", "ｺｳﾑﾃﾝ", "コウムテン"),
    w("商店", "ｼﾖｳﾃﾝ", "ショウテン"),
    w("商会", "ｼﾖｳｶｲ", "ショウカイ"),
    w("運輸", "ｳﾝﾕ", "ウンユ"),
    w("倉庫", "ｿｳｺ", "ソウコ"),
    w("不動産", "ﾌﾄﾞｳｻﾝ", "フドウサン"),
    w("開発", "ｶｲﾊﾂ", "カイハツ"),
    w("設計", "ｾﾂｹｲ", "セッケイ"),
    w("印刷", "ｲﾝｻﾂ", "インサツ"),
    w("薬品", "ﾔｸﾋﾝ", "ヤクヒン"),
    w("化成", "ｶｾｲ", "カセイ"),
    w("精工", "ｾｲｺｳ", "セイコウ"),
    w("製菓", "ｾｲｶ", "セイカ"),
    w("酒造", "ｼﾕｿﾞｳ", "シュゾウ"),
    w("農園", "ﾉｳｴﾝ", "ノウエン"),
    w("水産", "ｽｲｻﾝ", "スイサン"),
    w("電設", "ﾃﾞﾝｾﾂ", "デンセツ"),
    w("塗装", "ﾄｿｳ", "トソウ"),
    w("鉄工所", "ﾃﾂｺｳｼﾞﾖ", "テッコウジョ"),
    w("木材", "ﾓｸｻﾞｲ", "モクザイ"),
    w("繊維", "ｾﾝｲ", "センイ"),
    w("貿易", "ﾎﾞｳｴｷ", "ボウエキ"),
    w("トレーディング", "ﾄﾚｰﾃﾞｲﾝｸﾞ", "トレーディング"),
    w("ホールディングス", "ﾎｰﾙﾃﾞｲﾝｸﾞｽ", "ホールディングス"),
    w("テクノロジー", "ﾃｸﾉﾛｼﾞｰ", "テクノロジー"),
    w("エンジニアリング", "ｴﾝｼﾞﾆｱﾘﾝｸﾞ", "エンジニアリング"),
    w("デザイン", "ﾃﾞｻﾞｲﾝ", "デザイン"),
    w("コンサルティング", "ｺﾝｻﾙﾃｲﾝｸﾞ", "コンサルティング"),
    w("ネットワーク", "ﾈﾂﾄﾜｰｸ", "ネットワーク"),
    w("システム", "ｼｽﾃﾑ", "システム"),
    w("サービス", "ｻｰﾋﾞｽ", "サービス"),
    w("企画", "ｷｶｸ", "キカク"),
    w("観光", "ｶﾝｺｳ", "カンコウ"),
    w("交通", "ｺｳﾂｳ", "コウツウ"),
    w("自動車", "ｼﾞﾄﾞｳｼﾔ", "ジドウシャ"),
    w("製薬", "ｾｲﾔｸ", "セイヤク"),
    w("硝子", "ｶﾞﾗｽ", "ガラス"),
    w("警備保障", "ｹｲﾋﾞﾎｼﾖｳ", "ケイビホショウ"),
];

/// Endings of a medical corporation's name (医療法人社団 山田会).
const MEDICAL_ENDINGS: &[Word] = &[
    w("会", "ｶｲ", "カイ"),
    w("仁会", "ｼﾞﾝｶｲ", "ジンカイ"),
    w("厚生会", "ｺｳｾｲｶｲ", "コウセイカイ"),
    w("記念会", "ｷﾈﾝｶｲ", "キネンカイ"),
    w("恵会", "ｹｲｶｲ", "ケイカイ"),
    w("クリニック", "ｸﾘﾆﾂｸ", "クリニック"),
];

/// Endings of a social-welfare corporation's name.
const WELFARE_ENDINGS: &[Word] = &[
    w("福祉会", "ﾌｸｼｶｲ", "フクシカイ"),
    w("会", "ｶｲ", "カイ"),
    w("厚生会", "ｺｳｾｲｶｲ", "コウセイカイ"),
    w("愛光会", "ｱｲｺｳｶｲ", "アイコウカイ"),
    w("福祉事業団", "ﾌｸｼｼﾞｷﾞﾖｳﾀﾞﾝ", "フクシジギョウダン"),
];

/// Endings of an association's name.
const ASSOCIATION_ENDINGS: &[Word] =
    &[w("協会", "ｷﾖｳｶｲ", "キョウカイ"), w("振興会", "ｼﾝｺｳｶｲ", "シンコウカイ"), w("協議会", "ｷﾖｳｷﾞｶｲ", "キョウギカイ")];

/// A legal form: the word in the registered name, its 全銀 abbreviation (`ｶ` written
/// `ｶ)` in front, `(ｶ` behind), which side of the name it goes, and how often it occurs.
struct LegalForm {
    word: Word,
    in_front: bool,
    /// The words that may end a name of this form.
    endings: &'static [Word],
    /// Whether a middle word fits (山田精密工業 yes, 山田精密会 no).
    middle: bool,
    weight: u32,
}

const fn form(word: Word, in_front: bool, endings: &'static [Word], middle: bool, weight: u32) -> LegalForm {
    LegalForm { word, in_front, endings, middle, weight }
}

/// Rough shares of Japanese SME customers: 株式会社 dominates, mostly in front.
const LEGAL_FORMS: &[LegalForm] = &[
    form(w("株式会社", "ｶ", "カブシキガイシャ"), true, TRADES, true, 48),
    form(w("株式会社", "ｶ", "カブシキガイシャ"), false, TRADES, true, 20),
    form(w("有限会社", "ﾕ", "ユウゲンガイシャ"), true, TRADES, true, 10),
    form(w("有限会社", "ﾕ", "ユウゲンガイシャ"), false, TRADES, true, 3),
    form(w("合同会社", "ﾄﾞ", "ゴウドウガイシャ"), true, TRADES, true, 6),
    form(w("合同会社", "ﾄﾞ", "ゴウドウガイシャ"), false, TRADES, true, 2),
    form(w("合資会社", "ｼ", "ゴウシガイシャ"), true, TRADES, false, 1),
    form(w("合名会社", "ﾒ", "ゴウメイガイシャ"), true, TRADES, false, 1),
    form(w("医療法人", "ｲ", "イリョウホウジン"), true, MEDICAL_ENDINGS, false, 3),
    form(w("医療法人社団", "ｲ", "イリョウホウジンシャダン"), true, MEDICAL_ENDINGS, false, 2),
    form(w("社会福祉法人", "ﾌｸ", "シャカイフクシホウジン"), true, WELFARE_ENDINGS, false, 2),
    form(w("一般社団法人", "ｼﾔ", "イッパンシャダンホウジン"), true, ASSOCIATION_ENDINGS, false, 1),
];

const LEGAL_WEIGHT_TOTAL: u32 = {
    let mut total = 0;
    let mut i = 0;
    while i < LEGAL_FORMS.len() {
        total += LEGAL_FORMS[i].weight;
        i += 1;
    }
    total
};

/// Given names for contact persons and users.
const GIVEN_NAMES: &[Word] = &[
    w("太郎", "ﾀﾛｳ", "タロウ"),
    w("花子", "ﾊﾅｺ", "ハナコ"),
    w("健一", "ｹﾝｲﾁ", "ケンイチ"),
    w("翔太", "ｼﾖｳﾀ", "ショウタ"),
    w("美咲", "ﾐｻｷ", "ミサキ"),
    w("大輔", "ﾀﾞｲｽｹ", "ダイスケ"),
    w("直樹", "ﾅｵｷ", "ナオキ"),
    w("優子", "ﾕｳｺ", "ユウコ"),
    w("恵", "ﾒｸﾞﾐ", "メグミ"),
    w("誠", "ﾏｺﾄ", "マコト"),
    w("浩", "ﾋﾛｼ", "ヒロシ"),
    w("修", "ｵｻﾑ", "オサム"),
    w("亮", "ﾘﾖｳ", "リョウ"),
    w("智子", "ﾄﾓｺ", "トモコ"),
    w("由美", "ﾕﾐ", "ユミ"),
    w("陽子", "ﾖｳｺ", "ヨウコ"),
    w("拓也", "ﾀｸﾔ", "タクヤ"),
    w("健太", "ｹﾝﾀ", "ケンタ"),
    w("彩", "ｱﾔ", "アヤ"),
    w("真由美", "ﾏﾕﾐ", "マユミ"),
    w("和也", "ｶｽﾞﾔ", "カズヤ"),
    w("聡", "ｻﾄｼ", "サトシ"),
    w("隆", "ﾀｶｼ", "タカシ"),
    w("京子", "ｷﾖｳｺ", "キョウコ"),
    w("香織", "ｶｵﾘ", "カオリ"),
    w("翼", "ﾂﾊﾞｻ", "ツバサ"),
    w("悠斗", "ﾕｳﾄ", "ユウト"),
    w("結衣", "ﾕｲ", "ユイ"),
    w("陽菜", "ﾋﾅ", "ヒナ"),
    w("蓮", "ﾚﾝ", "レン"),
    w("大翔", "ﾋﾛﾄ", "ヒロト"),
    w("千尋", "ﾁﾋﾛ", "チヒロ"),
    w("明美", "ｱｹﾐ", "アケミ"),
    w("正人", "ﾏｻﾄ", "マサト"),
    w("博之", "ﾋﾛﾕｷ", "ヒロユキ"),
    w("秀樹", "ﾋﾃﾞｷ", "ヒデキ"),
    w("幸子", "ｻﾁｺ", "サチコ"),
    w("清", "ｷﾖｼ", "キヨシ"),
    w("勇気", "ﾕｳｷ", "ユウキ"),
    w("奈々", "ﾅﾅ", "ナナ"),
    w("麻衣", "ﾏｲ", "マイ"),
    w("純一", "ｼﾞﾕﾝｲﾁ", "ジュンイチ"),
    w("俊介", "ｼﾕﾝｽｹ", "シュンスケ"),
    w("涼子", "ﾘﾖｳｺ", "リョウコ"),
    w("早紀", "ｻｷ", "サキ"),
    w("佳奈", "ｶﾅ", "カナ"),
    w("達也", "ﾀﾂﾔ", "タツヤ"),
    w("雄一", "ﾕｳｲﾁ", "ユウイチ"),
    w("智也", "ﾄﾓﾔ", "トモヤ"),
    w("千代", "ﾁﾖ", "チヨ"),
];

/// The table rows one company name is made of; rendering it needs no further RNG.
struct Pick {
    stem: &'static Word,
    middle: Option<&'static Word>,
    ending: &'static Word,
    form: &'static LegalForm,
}

fn pick_company<R: Rng + ?Sized>(rng: &mut R) -> Pick {
    let form = pick_form(rng.gen_range(0..LEGAL_WEIGHT_TOTAL));
    let stems = SURNAMES.len() + PLACE_WORDS.len();
    let i = rng.gen_range(0..stems);
    let stem = SURNAMES.get(i).unwrap_or_else(|| &PLACE_WORDS[i - SURNAMES.len()]);
    // A middle word in about a quarter of the names that allow one.
    let middle = (form.middle && rng.gen_ratio(1, 4)).then(|| &MIDDLE_WORDS[rng.gen_range(0..MIDDLE_WORDS.len())]);
    let ending = &form.endings[rng.gen_range(0..form.endings.len())];
    Pick { stem, middle, ending, form }
}

/// The legal form whose cumulative weight range holds `roll` (< `LEGAL_WEIGHT_TOTAL`).
fn pick_form(mut roll: u32) -> &'static LegalForm {
    for form in LEGAL_FORMS {
        if roll < form.weight {
            return form;
        }
        roll -= form.weight;
    }
    &LEGAL_FORMS[0]
}

impl Pick {
    /// The name body's words in order.
    fn body(&self) -> impl Iterator<Item = &'static Word> {
        [Some(self.stem), self.middle, Some(self.ending)].into_iter().flatten()
    }

    fn render(&self) -> CompanyName {
        let legal = &self.form.word;
        let kanji_len = legal.kanji.len() + self.body().map(|w| w.kanji.len()).sum::<usize>();
        // The 全銀 mark is the abbreviation plus one parenthesis.
        let kana_len = legal.kana.len() + 1 + self.body().map(|w| w.kana.len()).sum::<usize>();
        let mut kanji = String::with_capacity(kanji_len);
        let mut kana = String::with_capacity(kana_len);
        if self.form.in_front {
            kanji.push_str(legal.kanji);
            kana.push_str(legal.kana);
            kana.push(')');
        }
        for word in self.body() {
            kanji.push_str(word.kanji);
            kana.push_str(word.kana);
        }
        if !self.form.in_front {
            kanji.push_str(legal.kanji);
            kana.push('(');
            kana.push_str(legal.kana);
        }
        CompanyName { kanji, kana }
    }
}

/// A generated company: registered name and 全銀 kana, e.g. `株式会社山田製作所` /
/// `ｶ)ﾔﾏﾀﾞｾｲｻｸｼﾖ` or `青空精密工業有限会社` / `ｱｵｿﾞﾗｾｲﾐﾂｺｳｷﾞﾖｳ(ﾕ`.
///
/// Deterministic for a given RNG state; allocates only the two returned strings.
pub fn company<R: Rng + ?Sized>(rng: &mut R) -> CompanyName {
    pick_company(rng).render()
}

/// A generated person: full name in kanji and in half-width kana, family name first,
/// separated by one space, e.g. (`山田 太郎`, `ﾔﾏﾀﾞ ﾀﾛｳ`).
pub fn person<R: Rng + ?Sized>(rng: &mut R) -> (String, String) {
    let family = &SURNAMES[rng.gen_range(0..SURNAMES.len())];
    let given = &GIVEN_NAMES[rng.gen_range(0..GIVEN_NAMES.len())];
    let mut kanji = String::with_capacity(family.kanji.len() + 1 + given.kanji.len());
    kanji.push_str(family.kanji);
    kanji.push(' ');
    kanji.push_str(given.kanji);
    let mut kana = String::with_capacity(family.kana.len() + 1 + given.kana.len());
    kana.push_str(family.kana);
    kana.push(' ');
    kana.push_str(given.kana);
    (kanji, kana)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::kana::normalize;
    use rand::SeedableRng;
    use rand::rngs::StdRng;
    use std::collections::HashSet;

    fn is_zengin_kana(c: char) -> bool {
        matches!(c, '\u{FF61}'..='\u{FF9F}' | '(' | ')' | ' ')
    }

    /// The reading as a clerk would type it: full-width katakana, small kana and all.
    fn typed_reading(pick: &Pick) -> String {
        let mut body: String = pick.body().map(|w| w.typed).collect();
        if pick.form.in_front {
            body.insert_str(0, pick.form.word.typed);
        } else {
            body.push_str(pick.form.word.typed);
        }
        body
    }

    fn all_words() -> impl Iterator<Item = &'static Word> {
        let tables: [&'static [Word]; 8] = [
            SURNAMES,
            PLACE_WORDS,
            MIDDLE_WORDS,
            TRADES,
            MEDICAL_ENDINGS,
            WELFARE_ENDINGS,
            ASSOCIATION_ENDINGS,
            GIVEN_NAMES,
        ];
        tables.into_iter().flatten().chain(LEGAL_FORMS.iter().map(|f| &f.word))
    }

    #[test]
    fn tables_are_sized_and_consistent() {
        assert!(SURNAMES.len() + PLACE_WORDS.len() >= 80);
        assert!(TRADES.len() >= 40);
        for word in all_words() {
            assert!(!word.kanji.is_empty() && !word.kana.is_empty());
            assert!(word.kana.chars().all(is_zengin_kana), "{}", word.kana);
            // 全銀 has no small kana: ｧｨｩｪｫｬｭｮｯ are U+FF67..=U+FF6F.
            assert!(!word.kana.chars().any(|c| ('\u{FF67}'..='\u{FF6F}').contains(&c)), "{}", word.kana);
            assert!(word.typed.chars().all(|c| ('ァ'..='ヺ').contains(&c) || c == 'ー'));
            // A legal form's kana is an abbreviation (ｶ), not a reading; the generated
            // names test covers those.
            if !LEGAL_FORMS.iter().any(|f| std::ptr::eq(&f.word, word)) {
                assert_eq!(normalize(word.kana), normalize(word.typed), "{}", word.kanji);
            }
        }
    }

    #[test]
    fn same_seed_same_names() {
        let mut a = StdRng::seed_from_u64(42);
        let mut b = StdRng::seed_from_u64(42);
        for _ in 0..1000 {
            assert_eq!(company(&mut a), company(&mut b));
            assert_eq!(person(&mut a), person(&mut b));
        }
        let mut c = StdRng::seed_from_u64(43);
        let first: Vec<_> = (0..20).map(|_| company(&mut c)).collect();
        let mut a = StdRng::seed_from_u64(42);
        let other: Vec<_> = (0..20).map(|_| company(&mut a)).collect();
        assert_ne!(first, other);
    }

    #[test]
    fn generated_companies_are_well_formed() {
        let mut rng = StdRng::seed_from_u64(7);
        let mut distinct = HashSet::new();
        for _ in 0..10_000 {
            let pick = pick_company(&mut rng);
            let name = pick.render();
            assert!(!name.kanji.is_empty());
            assert!(name.kana.chars().all(is_zengin_kana), "{}", name.kana);
            assert!(name.kana.contains(')') || name.kana.contains('('));
            // Searching the typed reading finds the stored 全銀 kana.
            assert_eq!(normalize(&name.kana), normalize(&typed_reading(&pick)), "{}", name.kanji);
            assert!(!normalize(&name.kana).contains(['(', ')']), "{}", name.kana);
            distinct.insert(name.kanji);
        }
        assert!(distinct.len() >= 500, "only {} distinct", distinct.len());
    }

    #[test]
    fn demo_names_can_be_generated() {
        // The fixed demo customers (docs/spec.md §8) are names the generator itself can make.
        let mut wanted: HashSet<&str> = [
            "株式会社山田製作所",
            "有限会社青空商事",
            "株式会社みなと物流",
            "合同会社ひかりソフト",
            "医療法人さくら会",
            "株式会社東西トレーディング",
        ]
        .into();
        let mut rng = StdRng::seed_from_u64(1);
        for _ in 0..5_000_000 {
            if wanted.is_empty() {
                break;
            }
            wanted.remove(company(&mut rng).kanji.as_str());
        }
        assert!(wanted.is_empty(), "never generated: {wanted:?}");
    }

    #[test]
    fn people_are_well_formed() {
        let mut rng = StdRng::seed_from_u64(9);
        for _ in 0..1000 {
            let (kanji, kana) = person(&mut rng);
            assert_eq!(kanji.matches(' ').count(), 1);
            assert_eq!(kana.matches(' ').count(), 1);
            assert!(kana.chars().all(is_zengin_kana), "{kana}");
        }
    }
}
