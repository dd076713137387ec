"""Word lists for the demo market: people's names, firm names, streets, shift templates."""

from __future__ import annotations

from dataclasses import dataclass

# Common surnames with rough weights (the most frequent first).
SURNAMES: tuple[tuple[str, int], ...] = (
    ("王", 70), ("李", 70), ("张", 66), ("刘", 54), ("陈", 44), ("杨", 32), ("赵", 22),
    ("黄", 22), ("周", 20), ("吴", 20), ("徐", 16), ("孙", 22), ("胡", 12), ("朱", 12),
    ("高", 14), ("林", 10), ("何", 10), ("郭", 12), ("马", 12), ("罗", 8), ("梁", 8),
    ("宋", 10), ("郑", 8), ("谢", 6), ("韩", 8), ("唐", 6), ("冯", 6), ("于", 14),
    ("董", 8), ("程", 5), ("曹", 6), ("袁", 5), ("邓", 5), ("许", 6), ("沈", 4), ("曾", 4),
    ("彭", 4), ("吕", 5), ("苏", 5), ("卢", 4), ("蒋", 4), ("蔡", 4), ("贾", 4), ("丁", 5),
    ("魏", 5), ("薛", 4), ("叶", 4), ("姜", 8), ("潘", 3), ("杜", 4), ("戴", 3), ("夏", 3),
    ("钟", 3), ("田", 5), ("任", 4), ("范", 3), ("方", 3), ("石", 4), ("姚", 3), ("谭", 3),
    ("邹", 3), ("孔", 4), ("毕", 4), ("刁", 2), ("隋", 3), ("慕", 2), ("鞠", 3), ("丛", 3),
    ("曲", 4), ("初", 2), ("谷", 2), ("柳", 2), ("邵", 3), ("孟", 3), ("秦", 3), ("常", 3),
)

MALE_CHARS = "伟强磊军勇杰涛斌超明刚平辉鹏华飞鑫波宇浩凯健俊帆建国峰海东立新志春祥德福成庆文"
FEMALE_CHARS = "芳娜敏静丽艳娟霞秀玲桂英燕红梅琳雪慧莉萍洁倩婷颖露琴兰凤云丹晶佳欣月"

# Invented brand syllables (no real company's name is meant).
BRAND_CHARS = "海鑫华盛泰宏源恒润达嘉福祥瑞丰鸿隆信诚益通远金港湾蓝晟昌宇兴和安康永佳"
BRANDS: tuple[str, ...] = (
    "海润", "蓝海", "金港", "鑫源", "恒信", "华盛", "成山", "海晟", "东海", "鸿运", "盛泰",
    "远洋", "银滩", "海悦", "港龙", "昌盛", "华宇", "瑞丰", "永兴", "锦华", "宏达", "和利",
    "新港", "双岛", "海峰", "金海湾", "泰和", "嘉诚", "福海", "海鸿", "明达", "蓝湾", "渔港",
    "荣海", "石岛湾", "鑫海", "海之韵", "黄海", "俚岛", "龙须岛", "桑沟湾", "靖海",
)

INDUSTRY_WORDS: dict[str, tuple[str, ...]] = {
    "food_processing": ("水产食品", "海洋食品", "海产", "食品", "水产", "海珍品"),
    "manufacturing": ("机械", "精密机械", "重工", "汽车零部件", "船舶配件", "医疗器械", "电子"),
    "textiles": ("服装", "纺织", "针织", "服饰", "家纺", "制衣"),
    "logistics": ("物流", "供应链", "仓储", "冷链物流", "货运代理"),
    "hospitality": ("酒店管理", "餐饮管理", "海景酒店", "海鲜酒楼", "宾馆"),
    "tourism": ("旅游开发", "文化旅游", "景区管理", "国际旅行社", "海洋文旅"),
    "construction": ("建筑工程", "建设集团", "建筑安装", "市政工程", "建筑劳务"),
    "retail": ("商贸", "超市连锁", "百货", "商业"),
    "cleaning": ("物业管理", "家政服务", "保洁服务", "养老服务"),
    "agriculture": ("海洋牧场", "渔业", "水产养殖", "果蔬种植", "西洋参种植"),
}

# Where each industry tends to be (district code -> weight).
INDUSTRY_DISTRICTS: dict[str, dict[str, int]] = {
    "food_processing": {"rongcheng": 40, "wendeng": 15, "rushan": 15, "huancui": 10,
                        "jingqu": 10, "nanhai": 10},
    "manufacturing": {"gaoqu": 30, "jingqu": 25, "lingang": 25, "wendeng": 10, "huancui": 10},
    "textiles": {"wendeng": 30, "rushan": 25, "jingqu": 20, "rongcheng": 15, "lingang": 10},
    "logistics": {"jingqu": 35, "lingang": 20, "huancui": 20, "rongcheng": 15, "wendeng": 10},
    "hospitality": {"huancui": 40, "gaoqu": 20, "rongcheng": 15, "rushan": 10, "jingqu": 15},
    "tourism": {"huancui": 35, "rongcheng": 30, "rushan": 15, "gaoqu": 10, "nanhai": 10},
    "construction": {"nanhai": 20, "lingang": 20, "jingqu": 20, "huancui": 20, "wendeng": 20},
    "retail": {"huancui": 40, "gaoqu": 20, "jingqu": 20, "wendeng": 10, "rongcheng": 10},
    "cleaning": {"huancui": 40, "gaoqu": 20, "jingqu": 20, "wendeng": 10, "rongcheng": 10},
    "agriculture": {"rongcheng": 35, "rushan": 30, "wendeng": 25, "nanhai": 10},
}
INDUSTRY_WEIGHTS: dict[str, int] = {
    "food_processing": 20, "manufacturing": 16, "textiles": 8, "logistics": 13,
    "hospitality": 14, "tourism": 6, "construction": 10, "retail": 6, "cleaning": 4,
    "agriculture": 3,
}

CITY_PREFIX: dict[str, tuple[str, ...]] = {
    "huancui": ("威海",), "gaoqu": ("威海",), "jingqu": ("威海",), "lingang": ("威海",),
    "wendeng": ("威海", "文登"), "nanhai": ("威海",), "rongcheng": ("荣成", "石岛", "威海"),
    "rushan": ("乳山",),
}

STREETS: dict[str, tuple[str, ...]] = {
    "huancui": ("新威路", "青岛北路", "统一路", "昆明路", "海港路", "世昌大道", "古寨东路"),
    "gaoqu": ("火炬路", "文化西路", "沈阳路", "怡园路", "初张路"),
    "jingqu": ("青岛中路", "海南路", "大庆路", "齐鲁大道", "珠海路", "皇冠路"),
    "wendeng": ("龙山路", "文山路", "米山路", "峰山路", "昆嵛路"),
    "rongcheng": ("成山大道", "黄海中路", "府新街", "观海路", "石岛港湾路"),
    "rushan": ("胜利街", "青山路", "府前路", "商业街", "银滩路"),
    "lingang": ("苘山路", "蔄山路", "临港大道", "黄海路"),
    "nanhai": ("香水路", "海景路", "南海路", "黄海路"),
}

# Division codes used in positions 3-8 of a unified social credit code.
DIVISION_CODES: dict[str, str] = {
    "huancui": "371002", "wendeng": "371003", "rongcheng": "371082", "rushan": "371083",
    "gaoqu": "371071", "jingqu": "371072", "lingang": "371073", "nanhai": "371003",
}

LOCAL_SHARE = 0.6  # share of workers from Shandong
# Out-of-province labor bases Weihai keeps links with (province, labor base name).
LABOR_BASES: tuple[tuple[str, str, int], ...] = (
    ("重庆", "重庆云阳劳务协作基地", 18),
    ("甘肃", "甘肃定西劳务基地", 12),
    ("河南", "河南周口劳务基地", 14),
    ("贵州", "贵州毕节劳务基地", 10),
    ("四川", "四川广安劳务基地", 9),
    ("云南", "云南昭通劳务基地", 6),
    ("广西", "广西河池劳务基地", 5),
    ("安徽", "安徽阜阳劳务基地", 7),
    ("山西", "山西吕梁劳务基地", 5),
    ("黑龙江", "黑龙江绥化劳务基地", 6),
    ("宁夏", "宁夏固原劳务基地", 4),
    ("陕西", "陕西汉中劳务基地", 4),
)

LOCAL_DISTRICT_WEIGHTS = {"huancui": 30, "gaoqu": 12, "jingqu": 14, "wendeng": 14,
                          "rongcheng": 14, "rushan": 8, "lingang": 4, "nanhai": 4}
MIGRANT_DISTRICT_WEIGHTS = {"rongcheng": 25, "jingqu": 20, "lingang": 15, "wendeng": 15,
                            "huancui": 10, "gaoqu": 10, "rushan": 3, "nanhai": 2}

# Skill -> certificates that usually come with it, and how often.
SKILL_CERTIFICATES: dict[str, tuple[tuple[str, float], ...]] = {
    "forklift": (("forklift_licence", 0.85),),
    "electrician": (("electrician_licence", 0.85),),
    "welding": (("welder_licence", 0.8),),
    "delivery_driver": (("driver_c1", 0.95),),
    "fishing_crew": (("seafarer_cert", 0.7),),
    "tour_guide": (("tour_guide_licence", 0.75),),
    "elderly_care": (("care_worker", 0.7),),
    "rebar": (("work_at_height", 0.5),),
    "painting": (("work_at_height", 0.3),),
    "cook": (("food_safety", 0.6),),
}
HEALTH_CERT_CATEGORIES = {"food_processing": 0.8, "hospitality": 0.85, "retail": 0.4,
                          "cleaning": 0.5, "agriculture": 0.3}

BIOS: tuple[str, ...] = (
    "能吃苦，服从安排，有多年工厂经验。", "周末和节假日有空。", "会开叉车，做过仓库。",
    "在荣成做过几年海参加工。", "希望找包吃住的活。", "学生，寒暑假可以干活。",
    "退休职工，身体好，想找点事做。", "做过酒店服务员，普通话标准。", "有电工证，接零活。",
    "跟老乡一起出来的，可以多人一起干。",
)


@dataclass(frozen=True)
class Template:
    title: str
    category: str
    skills: tuple[str, ...]
    certificates: tuple[str, ...]
    starts: tuple[int, ...]  # local start hours
    hours: tuple[int, ...]
    hourly_share: float  # how often it is paid by the hour


T = Template
TEMPLATES: tuple[Template, ...] = (
    T("海参加工临时工", "food_processing", ("seafood_sorting",), ("health_cert",), (6, 7, 8),
      (8, 9, 10), 0.3),
    T("海产品分拣工", "food_processing", ("seafood_sorting",), ("health_cert",), (5, 6, 7, 13),
      (6, 8, 10), 0.5),
    T("鱼片切割工", "food_processing", ("fish_filleting",), ("health_cert",), (6, 7), (8, 10),
      0.3),
    T("冷库搬运工", "food_processing", ("cold_storage", "loading"), (), (7, 8, 20), (8, 10), 0.4),
    T("食品包装工", "food_processing", ("food_packing",), ("health_cert",), (8, 13, 18), (4, 6, 8),
      0.6),
    T("扇贝剥壳工", "food_processing", ("seafood_sorting",), (), (5, 6), (6, 8), 0.5),
    T("海带晾晒工", "agriculture", ("harvesting",), (), (5, 6), (6, 8), 0.4),
    T("牡蛎采收工", "agriculture", ("aquaculture", "harvesting"), (), (5, 6), (6, 8), 0.3),
    T("渔船帮工", "agriculture", ("fishing_crew",), ("seafarer_cert",), (4, 5), (10, 12), 0.1),
    T("苹果采摘工", "agriculture", ("harvesting",), (), (7,), (8,), 0.4),
    T("装配普工", "manufacturing", ("assembly",), (), (8, 20), (8, 10, 12), 0.5),
    T("临时焊工", "manufacturing", ("welding",), ("welder_licence",), (8,), (8, 10), 0.3),
    T("数控车床操作工", "manufacturing", ("cnc_operation",), (), (8, 20), (8, 12), 0.4),
    T("成品质检员", "manufacturing", ("quality_check",), (), (8, 13), (8,), 0.5),
    T("设备安装电工", "manufacturing", ("electrician",), ("electrician_licence",), (8,), (8, 9),
      0.2),
    T("缝纫工", "textiles", ("sewing",), (), (7, 8), (8, 10), 0.4),
    T("整烫工", "textiles", ("ironing",), (), (8,), (8, 10), 0.5),
    T("服装包装工", "textiles", ("garment_packing",), (), (8, 13), (4, 8), 0.7),
    T("装卸工", "logistics", ("loading",), (), (6, 8, 14, 20), (4, 6, 8), 0.6),
    T("快递分拣员", "logistics", ("sorting_parcels",), (), (6, 18, 22), (6, 8), 0.7),
    T("叉车司机", "logistics", ("forklift",), ("forklift_licence",), (7, 8, 20), (8, 10), 0.3),
    T("仓库盘点员", "logistics", ("inventory",), (), (8, 18), (6, 8), 0.6),
    T("冷链配送司机", "logistics", ("delivery_driver",), ("driver_c1",), (5, 6), (8, 10), 0.2),
    T("电商仓打包员", "logistics", ("sorting_parcels", "food_packing"), (), (9, 13, 18), (4, 6, 8),
      0.7),
    T("宴会服务员", "hospitality", ("waiter",), ("health_cert",), (10, 16, 17), (5, 6), 0.8),
    T("后厨帮工", "hospitality", ("kitchen_helper",), ("health_cert",), (9, 15), (6, 8), 0.6),
    T("客房服务员", "hospitality", ("housekeeping",), ("health_cert",), (8, 9), (6, 8), 0.5),
    T("传菜员", "hospitality", ("waiter",), (), (10, 16), (4, 6), 0.8),
    T("临时厨师", "hospitality", ("cook",), ("health_cert",), (9, 15), (8,), 0.3),
    T("景区检票员", "tourism", ("ticketing",), (), (7, 8), (8, 10), 0.5),
    T("景区讲解员", "tourism", ("tour_guide",), ("tour_guide_licence",), (8, 9), (6, 8), 0.4),
    T("海洋节活动执行", "tourism", ("event_staff",), (), (8, 14, 17), (5, 6, 8), 0.7),
    T("钢筋工", "construction", ("rebar",), (), (6, 7), (8, 10), 0.2),
    T("瓦工", "construction", ("bricklaying",), (), (6, 7), (8, 10), 0.2),
    T("木工", "construction", ("carpentry",), (), (7,), (8, 10), 0.2),
    T("外墙油漆工", "construction", ("painting",), ("work_at_height",), (7,), (8,), 0.2),
    T("工地小工", "construction", ("loading",), (), (6, 7), (8, 10), 0.4),
    T("超市收银员", "retail", ("cashier",), (), (8, 14, 17), (4, 6, 8), 0.8),
    T("理货员", "retail", ("shelf_stocking",), (), (6, 20), (4, 6), 0.8),
    T("促销导购", "retail", ("promotion",), (), (9, 14), (4, 6, 8), 0.7),
    T("保洁员", "cleaning", ("cleaning",), (), (7, 8, 13), (4, 6, 8), 0.7),
    T("开荒保洁", "cleaning", ("cleaning",), (), (8,), (8,), 0.4),
    T("养老院护理员", "cleaning", ("elderly_care",), ("care_worker",), (7, 19), (8, 12), 0.4),
)

# Typical day pay in yuan for an 8-hour day, by category.
DAY_PAY_YUAN: dict[str, int] = {
    "food_processing": 200, "manufacturing": 230, "textiles": 190, "logistics": 210,
    "hospitality": 180, "tourism": 170, "construction": 280, "retail": 165, "cleaning": 175,
    "agriculture": 200,
}

CANCEL_REASONS: tuple[str, ...] = (
    "台风预警，停工一天", "订单推迟，本班次取消", "设备检修，暂停生产", "活动因天气延期",
    "原料未到港，取消加工",
)
WORKER_COMMENTS: tuple[str, ...] = (
    "老板实在，工资当天结清", "管饭，伙食不错", "活有点累但钱给得痛快", "现场管理有点乱",
    "离家近，下次还来", "",
)
FIRM_COMMENTS: tuple[str, ...] = (
    "干活踏实，准时到岗", "手脚麻利，下次优先", "经验丰富", "有点迟到", "", "",
)
