"""Who owns and wants technology in the demo: institutions with their fields, two
trading venues, the parts enterprise names are made of, and Chinese personal names.

Pure data. Institution names are real so that the demo reads like the market it
serves; everything said about them (codes, patents, prices) is invented.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Institution:
    key: str
    name: str
    sub_kind: str  # university | research_institute | hospital
    region: str  # GB/T 2260 code of its (main) seat
    domains: tuple[str, ...]  # vocabulary.DOMAINS keys, strongest first
    weight: float  # share of the register, relative


def _inst(key: str, name: str, sub_kind: str, region: str, domains: str, weight: float) -> Institution:
    return Institution(key, name, sub_kind, region, tuple(domains.split()), weight)


U, R, H = "university", "research_institute", "hospital"

INSTITUTIONS: tuple[Institution, ...] = (
    # Shanghai universities
    _inst("fudan", "复旦大学", U, "310110", "biomed ai semiconductor battery optics polymer", 8),
    _inst("sjtu", "上海交通大学", U, "310112", "robotics battery ai meddev comms alloy agriculture", 9),
    _inst("tongji", "同济大学", U, "310110", "civil environment energy ai alloy", 7),
    _inst("ecnu", "华东师范大学", U, "310112", "ai optics semiconductor environment", 4),
    _inst("ecust", "华东理工大学", U, "310104", "polymer environment biomed energy", 5),
    _inst("dhu", "东华大学", U, "310117", "polymer environment robotics", 4),
    _inst("shu", "上海大学", U, "310113", "alloy robotics ai battery", 4),
    _inst("usst", "上海理工大学", U, "310110", "optics meddev energy robotics", 3),
    _inst("shmtu", "上海海事大学", U, "310115", "robotics ai comms environment", 2),
    _inst("shnu", "上海师范大学", U, "310104", "environment ai polymer", 2),
    _inst("shutcm", "上海中医药大学", U, "310115", "tcm biomed meddev", 3),
    _inst("shanghaitech", "上海科技大学", U, "310115", "biomed semiconductor ai battery", 3),
    _inst("sues", "上海工程技术大学", U, "310117", "robotics alloy polymer", 2),
    _inst("sit", "上海应用技术大学", U, "310120", "polymer environment biomed tcm", 2),
    _inst("shiep", "上海电力大学", U, "310115", "energy battery ai", 2),
    _inst("shou", "上海海洋大学", U, "310115", "agriculture environment biomed", 2),
    # elsewhere in China
    _inst("tsinghua", "清华大学", U, "110108", "battery ai semiconductor energy civil", 5),
    _inst("pku", "北京大学", U, "110108", "biomed ai semiconductor", 3),
    _inst("zju", "浙江大学", U, "330106", "agriculture ai robotics battery meddev", 5),
    _inst("nju", "南京大学", U, "320113", "optics environment semiconductor", 3),
    _inst("ustc", "中国科学技术大学", U, "340104", "battery semiconductor optics ai", 3),
    _inst("hit", "哈尔滨工业大学", U, "230103", "robotics alloy comms", 3),
    _inst("xjtu", "西安交通大学", U, "610103", "energy alloy meddev", 2),
    _inst("hust", "华中科技大学", U, "420111", "optics battery robotics meddev", 3),
    _inst("seu", "东南大学", U, "320102", "comms civil semiconductor", 3),
    # research institutes
    _inst("sic", "中国科学院上海硅酸盐研究所", R, "310105", "alloy battery energy", 4),
    _inst("sioc", "中国科学院上海有机化学研究所", R, "310104", "biomed polymer", 3),
    _inst("siom", "中国科学院上海光学精密机械研究所", R, "310114", "optics", 3),
    _inst("simit", "中国科学院上海微系统与信息技术研究所", R, "310105", "semiconductor comms", 3),
    _inst("sitp", "中国科学院上海技术物理研究所", R, "310109", "optics semiconductor", 2),
    _inst("simm", "中国科学院上海药物研究所", R, "310115", "biomed tcm", 3),
    _inst("sari", "中国科学院上海高等研究院", R, "310115", "energy environment ai", 2),
    _inst("nimte", "中国科学院宁波材料技术与工程研究所", R, "330211", "polymer alloy battery", 2),
    _inst("dicp", "中国科学院大连化学物理研究所", R, "210204", "energy battery environment", 2),
    # hospitals
    _inst("zs", "复旦大学附属中山医院", H, "310104", "meddev biomed", 1.5),
    _inst("hs", "复旦大学附属华山医院", H, "310106", "biomed meddev", 1.2),
    _inst("rj", "上海交通大学医学院附属瑞金医院", H, "310101", "biomed meddev", 1.5),
    _inst("renji", "上海交通大学医学院附属仁济医院", H, "310115", "biomed meddev", 1.2),
    _inst("six", "上海市第六人民医院", H, "310104", "meddev alloy", 1.2),
    _inst("ninth", "上海交通大学医学院附属第九人民医院", H, "310101", "meddev polymer alloy", 1.2),
    _inst("fuscc", "复旦大学附属肿瘤医院", H, "310104", "biomed ai", 1),
    _inst("longhua", "上海中医药大学附属龙华医院", H, "310104", "tcm", 1),
    _inst("shuguang", "上海中医药大学附属曙光医院", H, "310101", "tcm meddev", 0.8),
    _inst("chest", "上海市胸科医院", H, "310104", "meddev biomed", 0.8),
)

VENUES: tuple[tuple[str, str, str], ...] = (
    # key, name, region
    ("stex", "上海技术交易所", "310106"),
    ("sipx", "上海知识产权交易中心", "310115"),
)

# Enterprises: one per entry, named from a city, a brand and the domain's words.
ENTERPRISE_DOMAINS = ("battery battery battery biomed biomed biomed semiconductor semiconductor ai ai meddev meddev "
                      "robotics robotics environment environment polymer polymer energy energy comms agriculture "
                      "optics alloy civil tcm").split()
ENTERPRISE_CITIES = (  # name prefix, GB/T 2260 code; Shanghai districts most often
    ("上海", "310115"), ("上海", "310114"), ("上海", "310112"), ("上海", "310117"), ("上海", "310113"),
    ("上海", "310120"), ("上海", "310118"), ("苏州", "320500"), ("杭州", "330100"), ("宁波", "330200"),
    ("合肥", "340100"), ("无锡", "320200"), ("常州", "320400"), ("嘉兴", "330400"), ("深圳", "440300"),
)
BRAND_FIRST = "睿恒启澜博凯瀚景昱卓臻致沐弘峰晟泓朗宸锐"
BRAND_SECOND = "能芯源图川纳泰驰联创微鼎达航拓擎域"

# Chinese personal names: common surnames first (drawn more often), given-name characters.
SURNAMES = ("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈"
            "姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤")
GIVEN = ("伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉萍红娥玲斌宇浩凯健俊帆帅旭宁瑞琳晨欣怡思雨佳"
         "子涵梓轩博文睿哲嘉航宏志立新海波振东晓峰建国春梅丹慧颖婷雪琪鑫鹏飞辉亮成林昊然天佑晗若曦一鸣")
