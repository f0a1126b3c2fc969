// Chinese first, English on the switch; the choice is remembered in this browser.
const STORE = "psm.lang";

export function lang() { return localStorage.getItem(STORE) === "en" ? "en" : "zh"; }
export function setLang(l) {
  localStorage.setItem(STORE, l);
  document.documentElement.lang = l === "en" ? "en" : "zh-CN";
}

/** The text for `key` in the current language, with {name} placeholders filled in. */
export function t(key, vars = {}) {
  const table = lang() === "en" ? EN : ZH;
  const text = table[key] ?? ZH[key] ?? key;
  return text.replace(/\{(\w+)\}/g, (_, k) => (vars[k] ?? ""));
}

/** A code as people read it: enums, GB/T 4754 industries, GB/T 2260 regions, IPC sections. */
export function label(kind, value) {
  if (value === null || value === undefined) return "—";
  const prefix = { owner_kind: "kind", ipc_section: "ipc", ipc_class: null, industry: null, region: null }[kind];
  if (kind === "industry") return INDUSTRY[String(value).slice(0, 3)] ? `${INDUSTRY[String(value).slice(0, 3)][lang() === "en" ? 1 : 0]} (${value})` : value;
  if (kind === "region") {
    const p = REGION[String(value).slice(0, 2)];
    return p ? `${p[lang() === "en" ? 1 : 0]}${String(value).slice(2) !== "0000" ? ` ${value}` : ""}` : value;
  }
  if (prefix === null) return value;
  const key = `${prefix || kind}.${value}`;
  const text = t(key);
  return text === key ? String(value) : text;
}

export function applyStatic() {
  document.documentElement.lang = lang() === "en" ? "en" : "zh-CN";
  for (const el of document.querySelectorAll("[data-i18n]")) el.textContent = t(el.dataset.i18n);
  document.title = `${t("brand")} · Patent Supermarket`;
}

// GB/T 4754-2017 divisions met in the market (name zh, en).
const INDUSTRY = {
  A01: ["农业", "Agriculture"], C13: ["农副食品加工业", "Agri-food processing"], C14: ["食品制造业", "Food manufacturing"],
  C17: ["纺织业", "Textiles"], C18: ["纺织服装、服饰业", "Apparel"], C26: ["化学原料和化学制品制造业", "Chemicals"],
  C27: ["医药制造业", "Pharmaceuticals"], C28: ["化学纤维制造业", "Chemical fibres"], C29: ["橡胶和塑料制品业", "Rubber and plastics"],
  C30: ["非金属矿物制品业", "Non-metallic minerals"], C31: ["黑色金属冶炼和压延加工业", "Ferrous metals"],
  C32: ["有色金属冶炼和压延加工业", "Non-ferrous metals"], C33: ["金属制品业", "Metal products"], C34: ["通用设备制造业", "General machinery"],
  C35: ["专用设备制造业", "Special machinery"], C36: ["汽车制造业", "Automobiles"],
  C37: ["铁路、船舶、航空航天和其他运输设备制造业", "Rail, ships, aerospace"], C38: ["电气机械和器材制造业", "Electrical machinery"],
  C39: ["计算机、通信和其他电子设备制造业", "Computers and electronics"], C40: ["仪器仪表制造业", "Instruments"],
  D44: ["电力、热力生产和供应业", "Power and heat"], E48: ["土木工程建筑业", "Civil engineering"],
  I63: ["电信、广播电视和卫星传输服务", "Telecoms"], I64: ["互联网和相关服务", "Internet services"],
  I65: ["软件和信息技术服务业", "Software and IT services"], M73: ["研究和试验发展", "Research and development"],
  M75: ["科技推广和应用服务业", "Technology services"], N77: ["生态保护和环境治理业", "Environmental protection"],
  Q83: ["卫生", "Health care"],
};

// GB/T 2260 provinces (first two digits).
const REGION = {
  11: ["北京", "Beijing"], 12: ["天津", "Tianjin"], 13: ["河北", "Hebei"], 14: ["山西", "Shanxi"], 15: ["内蒙古", "Inner Mongolia"],
  21: ["辽宁", "Liaoning"], 22: ["吉林", "Jilin"], 23: ["黑龙江", "Heilongjiang"], 31: ["上海", "Shanghai"], 32: ["江苏", "Jiangsu"],
  33: ["浙江", "Zhejiang"], 34: ["安徽", "Anhui"], 35: ["福建", "Fujian"], 36: ["江西", "Jiangxi"], 37: ["山东", "Shandong"],
  41: ["河南", "Henan"], 42: ["湖北", "Hubei"], 43: ["湖南", "Hunan"], 44: ["广东", "Guangdong"], 45: ["广西", "Guangxi"],
  46: ["海南", "Hainan"], 50: ["重庆", "Chongqing"], 51: ["四川", "Sichuan"], 52: ["贵州", "Guizhou"], 53: ["云南", "Yunnan"],
  54: ["西藏", "Tibet"], 61: ["陕西", "Shaanxi"], 62: ["甘肃", "Gansu"], 63: ["青海", "Qinghai"], 64: ["宁夏", "Ningxia"],
  65: ["新疆", "Xinjiang"], 71: ["台湾", "Taiwan"], 81: ["香港", "Hong Kong"], 82: ["澳门", "Macao"],
};

const ZH = {
  brand: "专利超市", footer: "一点发布、全网通达 — 沪府办发〔2024〕7号",
  "nav.catalogue": "专利目录", "nav.auctions": "在线拍卖", "nav.desk": "机构工作台", "nav.venue": "交易场所工作台", "nav.office": "专项办",
  signin: "登录", signout: "退出", "signin.key": "API 密钥", "signin.hint": "密钥只保存在本标签页中（sessionStorage），关闭即清除。",
  "signin.actas": "以机构身份进入", "signin.actas.hint": "运营方可为机构签发一把新密钥并以其身份查看工作台。",
  "signin.asoperator": "以运营方身份继续", "signin.open": "进入", "org.name": "名称", "org.kind": "类型",
  "kind.institution": "高校院所", "kind.enterprise": "企业", "kind.venue": "交易场所", "kind.agency": "服务机构", "kind.financier": "金融机构", "kind.operator": "运营方",
  loading: "加载中…", error: "出错了", none: "暂无", notfound: "页面不存在",
  search: "搜索", "search.placeholder": "输入技术领域、产品或需求，如「锂电池」「GaN」「图像识别」", "search.total": "共 {n} 条结果",
  "search.none": "没有找到匹配的结果，换个说法试试。", "search.more": "加载更多",
  "sort.relevance": "相关度", "sort.newest": "最新", "sort.price_asc": "价格从低到高", "sort.price_desc": "价格从高到低", "sort.ending_soon": "即将结束",
  "facet.type": "类型", "facet.mode": "交易方式", "facet.stage": "成熟度", "facet.ipc_section": "IPC 部", "facet.ipc_class": "IPC 大类",
  "facet.industry": "行业", "facet.region": "地区", "facet.owner_kind": "权利人类型", "facet.status": "状态", "facet.price": "价格",
  "type.listing": "供给", "type.demand": "需求", "type.auction": "拍卖", "type.open_licence": "开放许可", "type.roadshow": "路演", "type.term": "术语",
  "mode.transfer": "转让", "mode.exclusive_licence": "独占许可", "mode.sole_licence": "排他许可", "mode.ordinary_licence": "普通许可", "mode.equity": "作价入股", "mode.open_licence": "开放许可",
  "stage.lab": "实验室", "stage.prototype": "样机", "stage.pilot": "中试", "stage.mass_production": "量产",
  "status.draft": "草稿", "status.published": "已发布", "status.reserved": "已预留", "status.sold": "已成交", "status.withdrawn": "已撤回", "status.expired": "已到期", "status.in_force": "有效", "status.active": "有效",
  "ipc.A": "A 人类生活必需", "ipc.B": "B 作业；运输", "ipc.C": "C 化学；冶金", "ipc.D": "D 纺织；造纸", "ipc.E": "E 固定建筑物", "ipc.F": "F 机械工程；照明；加热；武器；爆破", "ipc.G": "G 物理", "ipc.H": "H 电学",
  negotiable: "面议", budget: "预算", ends: "截止", published: "发布于", years: "{n} 年",
  "listing.patents": "专利与权利状况", "listing.openlicences": "开放许可条件", "listing.auctions": "拍卖", "listing.roadshows": "路演",
  "listing.matches.demand": "匹配的企业需求", "listing.matches.supply": "匹配的专利供给",
  "field.modes": "交易方式", "field.owner": "权利人", "field.patent": "专利", "field.status": "状态", "field.royalty": "许可使用费", "field.term": "期限",
  "field.title": "标题", "field.when": "时间", "field.mode": "形式", "field.location": "地点", "field.legal": "法律状态", "field.filed": "申请日",
  "field.expires": "届满日", "field.kind": "种类", "field.reference": "依据", "field.holder": "权利方", "field.since": "起始", "field.from": "转出方",
  "field.to": "受让方", "field.number": "申请号", "field.listing": "挂牌", "field.licence": "许可",
  "patent.invention": "发明", "patent.utility_model": "实用新型", "patent.design": "外观设计",
  "legal.pending": "审中", "legal.granted": "授权", "legal.lapsed": "失效", "legal.expired": "届满", "legal.invalidated": "无效",
  "rights.encumbrances": "在先权利负担", "rights.free": "无权利负担", "rights.transfers": "转让记录", "rights.recording": "著录项目变更",
  "recording.due": "待登记", "recording.overdue": "逾期未登记", "recording.recorded": "已登记",
  "encumbrance.open_licence": "开放许可", "encumbrance.auction": "拍卖中", "encumbrance.pledge": "质押", "encumbrance.exclusive_licence": "独占许可",
  "encumbrance.sole_licence": "排他许可", "encumbrance.ordinary_licence": "普通许可", "encumbrance.transfer_offer": "转让挂牌", "encumbrance.exclusive_offer": "独占许可挂牌",
  "encumbrance.deal_transfer": "转让洽谈中", "encumbrance.deal_exclusive": "独占许可洽谈中",
  "basis.percent_of_revenue": "按销售收入提成", "basis.fixed_per_year": "每年固定费用", "basis.lump_sum": "一次性总付", "basis.entry_fee_plus_rate": "入门费加提成",
  "roadshow.online": "线上", "roadshow.offline": "线下", "roadshow.hybrid": "线上线下",
  "auction.title": "在线拍卖", "auction.current": "当前价", "auction.bids": "出价次数", "auction.start": "起拍价", "auction.increment": "加价幅度",
  "auction.deposit": "保证金", "auction.softclose": "延时规则：结束前 {window} 秒内出价，延长 {extend} 秒", "auction.remaining": "距结束",
  "auction.bid": "出价", "auction.history": "出价记录", "auction.price": "价格", "auction.view": "查看", "auction.leading": "您领先",
  "auction.extended": "已延时 {n} 次", "auction.you": "我", "auction.proxy": "代理出价", "auction.reserve.met": "已达保留价", "auction.reserve.notmet": "未达保留价",
  "auction.startsin": "距开始", "auction.notregistered": "您尚未报名本场拍卖。", "auction.register": "报名竞买",
  "auction.registered": "已报名，保证金状态：{status}。保证金确认后即可出价。", "auction.amount": "出价金额（元）", "auction.max": "代理最高价（可选）",
  "auction.proxy.optional": "系统按加价幅度代您出价至此", "auction.place": "出价", "auction.accepted": "出价成功",
  "auction.deposit.status": "保证金：{status}", "auction.list.open": "正在进行", "auction.list.scheduled": "即将开始", "auction.list.mine": "我参与的",
  "auction.scheduled": "未开始", "auction.open": "进行中", "auction.closed_won": "已成交", "auction.closed_unsold": "流拍", "auction.settled": "已结算",
  "auction.pending_export_review": "对外转让审查中", "auction.defaulted": "买受人违约", "auction.export_refused": "对外转让未获批准", "auction.cancelled": "已取消",
  "deposit.pending": "待确认", "deposit.confirmed": "已确认", "deposit.released": "已退还", "deposit.forfeited": "已没收",
  "live.connecting": "连接中", "live.live": "实时", "live.reconnecting": "重新连接中",
  "desk.patents": "我的专利", "desk.listings": "我的挂牌", "desk.leads": "意向线索", "desk.enterprise": "企业", "desk.note": "留言",
  "desk.feedback": "路演反馈", "desk.feedback.none": "暂无路演反馈。", "desk.feedback.summary": "{n} 份反馈，产业化前景均分 {mean}",
  "desk.prospect": "产业化前景（1–5 分）", "desk.concerns": "顾虑", "desk.declarations": "开放许可声明", "desk.filings": "待备案的许可",
  "desk.filings.none": "没有待备案的许可。", "desk.licensee": "被许可人", "desk.filing": "备案", "desk.filing.due": "备案期限",
  "desk.royalties": "许可使用费台账", "desk.royalties.none": "暂无付款记录。", "desk.period": "年度", "desk.revenue": "申报收入", "desk.due": "应付",
  "desk.paid": "已付", "desk.outstanding": "未付",
  "filing.filing_due": "待备案", "filing.filing_overdue": "备案逾期", "filing.filed": "已备案",
  "licence.exclusive": "独占", "licence.sole": "排他", "licence.ordinary": "普通",
  "concern.too_early": "技术尚早", "concern.benefit_unclear": "效益不明", "concern.commercial_route_unclear": "商业路径不清", "concern.description_unclear": "描述不清", "concern.price": "价格",
  "venue.none": "您的机构尚未登记交易场所。", "venue.feedonly": "（仅拉取）", "venue.filter": "订阅条件：", "venue.filter.all": "全部变更", "venue.failures": "连续失败 {n} 次",
  "venue.dead": "死信", "venue.dead.none": "没有死信。", "venue.deliveries": "最近投递", "venue.change": "变更", "venue.attempts": "次数",
  "venue.error": "错误", "venue.retry": "重投", "venue.latency": "延迟", "venue.feed": "拉取订阅位置", "venue.feed.position": "当前位置",
  "venue.feed.start": "（从头开始）", "venue.feed.waiting": "之后有 {n} 条变更", "venue.feed.advance": "标记为已读到最新",
  "venue.active": "正常", "venue.paused": "暂停", "venue.throttled": "限速中", "venue.disabled": "已停用", "venue.feed_only": "仅拉取",
  "delivery.pending": "待投递", "delivery.delivered": "已送达", "delivery.dead": "死信", "delivery.dropped": "已丢弃",
  "office.registered": "登记专利", "office.listed": "挂牌专利", "office.transacted": "成交专利", "office.deals.bymode": "按交易方式的成交笔数",
  "office.period": "期间", "office.deals": "成交笔数", "office.amount": "成交金额", "office.growth": "同比增长", "office.targets": "对照行动方案目标",
  "office.target.year": "{year} 年（截至 {through}）", "office.target.growth": "高校院所转让、许可、作价入股 {n} 笔（上年同期 {before} 笔），增长 {growth}，目标 ≥ {target}",
  "office.target.value": "涉及专利的技术合同成交额 {value}，目标 {target}，完成 {share}", "office.met": "达标", "office.notmet": "未达标",
  "office.institutions": "高校院所", "office.listedshare": "挂牌比例",
};

const EN = {
  brand: "Patent Supermarket", footer: "Publish at one point, reach the whole network — Shanghai action plan 2024 No. 7",
  "nav.catalogue": "Catalogue", "nav.auctions": "Auctions", "nav.desk": "Institution desk", "nav.venue": "Venue desk", "nav.office": "Programme office",
  signin: "Sign in", signout: "Sign out", "signin.key": "API key", "signin.hint": "The key stays in this tab only (sessionStorage) and is gone when it closes.",
  "signin.actas": "Open an organisation's desk", "signin.actas.hint": "The operator may issue an organisation a new key and see its desk.",
  "signin.asoperator": "Continue as the operator", "signin.open": "Open", "org.name": "Name", "org.kind": "Kind",
  "kind.institution": "Institution", "kind.enterprise": "Enterprise", "kind.venue": "Venue", "kind.agency": "Agency", "kind.financier": "Financier", "kind.operator": "Operator",
  loading: "Loading…", error: "Something went wrong", none: "None", notfound: "No such page",
  search: "Search", "search.placeholder": "A field, a product or a need, e.g. lithium battery, GaN, image recognition", "search.total": "{n} results",
  "search.none": "Nothing matched; try other words.", "search.more": "More",
  "sort.relevance": "Relevance", "sort.newest": "Newest", "sort.price_asc": "Price, low to high", "sort.price_desc": "Price, high to low", "sort.ending_soon": "Ending soon",
  "facet.type": "Type", "facet.mode": "Deal", "facet.stage": "Stage", "facet.ipc_section": "IPC section", "facet.ipc_class": "IPC class",
  "facet.industry": "Industry", "facet.region": "Region", "facet.owner_kind": "Owner", "facet.status": "Status", "facet.price": "Price",
  "type.listing": "Supply", "type.demand": "Demand", "type.auction": "Auction", "type.open_licence": "Open licence", "type.roadshow": "Roadshow", "type.term": "Term",
  "mode.transfer": "Transfer", "mode.exclusive_licence": "Exclusive licence", "mode.sole_licence": "Sole licence", "mode.ordinary_licence": "Ordinary licence", "mode.equity": "Equity", "mode.open_licence": "Open licence",
  "stage.lab": "Lab", "stage.prototype": "Prototype", "stage.pilot": "Pilot", "stage.mass_production": "Mass production",
  "status.draft": "Draft", "status.published": "Published", "status.reserved": "Reserved", "status.sold": "Sold", "status.withdrawn": "Withdrawn", "status.expired": "Expired", "status.in_force": "In force", "status.active": "Active",
  "ipc.A": "A Human necessities", "ipc.B": "B Operations; transport", "ipc.C": "C Chemistry; metallurgy", "ipc.D": "D Textiles; paper", "ipc.E": "E Fixed constructions", "ipc.F": "F Mechanical engineering", "ipc.G": "G Physics", "ipc.H": "H Electricity",
  negotiable: "Negotiable", budget: "Budget", ends: "Ends", published: "Published", years: "{n} years",
  "listing.patents": "Patents and rights", "listing.openlicences": "Open-licence terms", "listing.auctions": "Auctions", "listing.roadshows": "Roadshows",
  "listing.matches.demand": "Matching needs", "listing.matches.supply": "Matching supply",
  "field.modes": "Deals", "field.owner": "Owner", "field.patent": "Patent", "field.status": "Status", "field.royalty": "Royalty", "field.term": "Term",
  "field.title": "Title", "field.when": "When", "field.mode": "Mode", "field.location": "Place", "field.legal": "Legal status", "field.filed": "Filed",
  "field.expires": "Expires", "field.kind": "Kind", "field.reference": "Reference", "field.holder": "Holder", "field.since": "Since", "field.from": "From",
  "field.to": "To", "field.number": "Number", "field.listing": "Listing", "field.licence": "Licence",
  "patent.invention": "Invention", "patent.utility_model": "Utility model", "patent.design": "Design",
  "legal.pending": "Pending", "legal.granted": "Granted", "legal.lapsed": "Lapsed", "legal.expired": "Expired", "legal.invalidated": "Invalidated",
  "rights.encumbrances": "Encumbrances", "rights.free": "No encumbrance", "rights.transfers": "Transfers", "rights.recording": "Recording",
  "recording.due": "Due", "recording.overdue": "Overdue", "recording.recorded": "Recorded",
  "encumbrance.open_licence": "Open licence", "encumbrance.auction": "At auction", "encumbrance.pledge": "Pledge", "encumbrance.exclusive_licence": "Exclusive licence",
  "encumbrance.sole_licence": "Sole licence", "encumbrance.ordinary_licence": "Ordinary licence", "encumbrance.transfer_offer": "Offered for transfer", "encumbrance.exclusive_offer": "Offered exclusively",
  "encumbrance.deal_transfer": "Transfer in negotiation", "encumbrance.deal_exclusive": "Exclusive licence in negotiation",
  "basis.percent_of_revenue": "Percent of revenue", "basis.fixed_per_year": "Fixed per year", "basis.lump_sum": "Lump sum", "basis.entry_fee_plus_rate": "Entry fee plus rate",
  "roadshow.online": "Online", "roadshow.offline": "On site", "roadshow.hybrid": "Hybrid",
  "auction.title": "Auction", "auction.current": "Current price", "auction.bids": "Bids", "auction.start": "Start", "auction.increment": "Increment",
  "auction.deposit": "Deposit", "auction.softclose": "Soft close: a bid in the last {window} s extends by {extend} s", "auction.remaining": "Time left",
  "auction.bid": "Bid", "auction.history": "Bid history", "auction.price": "Price", "auction.view": "View", "auction.leading": "You lead",
  "auction.extended": "Extended {n}×", "auction.you": "You", "auction.proxy": "Proxy", "auction.reserve.met": "Reserve met", "auction.reserve.notmet": "Reserve not met",
  "auction.startsin": "Starts in", "auction.notregistered": "You have not registered for this auction.", "auction.register": "Register to bid",
  "auction.registered": "Registered; deposit: {status}. You may bid once it is confirmed.", "auction.amount": "Amount (CNY)", "auction.max": "Proxy maximum (optional)",
  "auction.proxy.optional": "We bid for you by the increment up to this", "auction.place": "Place bid", "auction.accepted": "Bid accepted",
  "auction.deposit.status": "Deposit: {status}", "auction.list.open": "Open now", "auction.list.scheduled": "Starting soon", "auction.list.mine": "Mine",
  "auction.scheduled": "Scheduled", "auction.open": "Open", "auction.closed_won": "Won", "auction.closed_unsold": "Unsold", "auction.settled": "Settled",
  "auction.pending_export_review": "Export review", "auction.defaulted": "Defaulted", "auction.export_refused": "Export refused", "auction.cancelled": "Cancelled",
  "deposit.pending": "pending", "deposit.confirmed": "confirmed", "deposit.released": "released", "deposit.forfeited": "forfeited",
  "live.connecting": "connecting", "live.live": "live", "live.reconnecting": "reconnecting",
  "desk.patents": "My patents", "desk.listings": "My listings", "desk.leads": "Leads", "desk.enterprise": "Enterprise", "desk.note": "Note",
  "desk.feedback": "Roadshow feedback", "desk.feedback.none": "No roadshow feedback yet.", "desk.feedback.summary": "{n} responses, mean prospect {mean}",
  "desk.prospect": "Industrialisation prospect (1–5)", "desk.concerns": "Concerns", "desk.declarations": "Open-licence declarations", "desk.filings": "Licences to file",
  "desk.filings.none": "Nothing to file.", "desk.licensee": "Licensee", "desk.filing": "Filing", "desk.filing.due": "Due",
  "desk.royalties": "Royalty ledger", "desk.royalties.none": "No payments yet.", "desk.period": "Year", "desk.revenue": "Reported revenue", "desk.due": "Due",
  "desk.paid": "Paid", "desk.outstanding": "Outstanding",
  "filing.filing_due": "Filing due", "filing.filing_overdue": "Filing overdue", "filing.filed": "Filed",
  "licence.exclusive": "Exclusive", "licence.sole": "Sole", "licence.ordinary": "Ordinary",
  "concern.too_early": "Too early", "concern.benefit_unclear": "Benefit unclear", "concern.commercial_route_unclear": "Route unclear", "concern.description_unclear": "Description unclear", "concern.price": "Price",
  "venue.none": "Your organisation has no venue registered.", "venue.feedonly": "(pull feed only)", "venue.filter": "Filter:", "venue.filter.all": "every change", "venue.failures": "{n} failures in a row",
  "venue.dead": "Dead letters", "venue.dead.none": "No dead letters.", "venue.deliveries": "Recent deliveries", "venue.change": "Change", "venue.attempts": "Tries",
  "venue.error": "Error", "venue.retry": "Retry", "venue.latency": "Latency", "venue.feed": "Feed position", "venue.feed.position": "Position",
  "venue.feed.start": "(the beginning)", "venue.feed.waiting": "{n} changes after it", "venue.feed.advance": "Mark read up to the latest",
  "venue.active": "Active", "venue.paused": "Paused", "venue.throttled": "Throttled", "venue.disabled": "Disabled", "venue.feed_only": "Feed only",
  "delivery.pending": "Pending", "delivery.delivered": "Delivered", "delivery.dead": "Dead", "delivery.dropped": "Dropped",
  "office.registered": "Patents registered", "office.listed": "Patents listed", "office.transacted": "Patents transacted", "office.deals.bymode": "Deals by kind",
  "office.period": "Period", "office.deals": "Deals", "office.amount": "Amount", "office.growth": "Year on year", "office.targets": "Against the plan's targets",
  "office.target.year": "{year} (through {through})", "office.target.growth": "Institutions' transfers, licences and equity deals: {n} ({before} a year earlier), growth {growth}, target ≥ {target}",
  "office.target.value": "Technology contracts involving patents: {value} of {target} ({share})", "office.met": "Met", "office.notmet": "Not met",
  "office.institutions": "Institutions", "office.listedshare": "Listed share",
};
