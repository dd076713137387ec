"""Reference data the product validates against: skills, certificates, categories, districts.

Codes are stored in the database; labels are shown in the user's language.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Term:
    code: str
    zh: str
    en: str
    group: str = ""

    def label(self, locale: str) -> str:
        return self.en if locale.startswith("en") else self.zh


CATEGORIES: tuple[Term, ...] = (
    Term("food_processing", "水产及食品加工", "Seafood & food processing"),
    Term("manufacturing", "装备制造", "Equipment manufacturing"),
    Term("textiles", "纺织服装", "Textiles & garments"),
    Term("logistics", "物流仓储", "Logistics & warehousing"),
    Term("hospitality", "酒店餐饮", "Hotels & catering"),
    Term("tourism", "文化旅游", "Tourism"),
    Term("construction", "建筑施工", "Construction"),
    Term("retail", "商超零售", "Retail"),
    Term("cleaning", "保洁家政", "Cleaning & domestic"),
    Term("agriculture", "农业渔业", "Farming & fishing"),
)

SKILLS: tuple[Term, ...] = (
    Term("seafood_sorting", "海产品分拣", "Seafood sorting", "food_processing"),
    Term("fish_filleting", "鱼类切片", "Fish filleting", "food_processing"),
    Term("food_packing", "食品包装", "Food packing", "food_processing"),
    Term("cold_storage", "冷库作业", "Cold-storage work", "food_processing"),
    Term("quality_check", "质检", "Quality inspection", "manufacturing"),
    Term("assembly", "装配", "Assembly", "manufacturing"),
    Term("welding", "焊接", "Welding", "manufacturing"),
    Term("cnc_operation", "数控操作", "CNC operation", "manufacturing"),
    Term("electrician", "电工", "Electrical work", "manufacturing"),
    Term("sewing", "缝纫", "Sewing", "textiles"),
    Term("ironing", "整烫", "Ironing & finishing", "textiles"),
    Term("garment_packing", "服装包装", "Garment packing", "textiles"),
    Term("forklift", "叉车驾驶", "Forklift driving", "logistics"),
    Term("loading", "装卸搬运", "Loading & unloading", "logistics"),
    Term("sorting_parcels", "包裹分拣", "Parcel sorting", "logistics"),
    Term("inventory", "仓库盘点", "Stock-taking", "logistics"),
    Term("delivery_driver", "配送驾驶", "Delivery driving", "logistics"),
    Term("waiter", "餐厅服务", "Table service", "hospitality"),
    Term("kitchen_helper", "后厨帮工", "Kitchen help", "hospitality"),
    Term("cook", "厨师", "Cooking", "hospitality"),
    Term("housekeeping", "客房服务", "Housekeeping", "hospitality"),
    Term("tour_guide", "导游讲解", "Tour guiding", "tourism"),
    Term("ticketing", "票务检票", "Ticketing", "tourism"),
    Term("event_staff", "活动执行", "Event staff", "tourism"),
    Term("bricklaying", "砌筑", "Bricklaying", "construction"),
    Term("carpentry", "木工", "Carpentry", "construction"),
    Term("rebar", "钢筋工", "Rebar work", "construction"),
    Term("painting", "油漆涂装", "Painting", "construction"),
    Term("cashier", "收银", "Cashier", "retail"),
    Term("shelf_stocking", "理货上架", "Shelf stocking", "retail"),
    Term("promotion", "促销导购", "Sales promotion", "retail"),
    Term("cleaning", "保洁", "Cleaning", "cleaning"),
    Term("elderly_care", "养老护理", "Elderly care", "cleaning"),
    Term("fishing_crew", "渔船作业", "Fishing crew", "agriculture"),
    Term("harvesting", "采摘收割", "Harvesting", "agriculture"),
    Term("aquaculture", "水产养殖", "Aquaculture", "agriculture"),
)

CERTIFICATES: tuple[Term, ...] = (
    Term("health_cert", "健康证", "Health certificate"),
    Term("forklift_licence", "叉车证", "Forklift licence"),
    Term("electrician_licence", "电工证", "Electrician licence"),
    Term("welder_licence", "焊工证", "Welder licence"),
    Term("driver_c1", "C1驾驶证", "Driving licence C1"),
    Term("seafarer_cert", "船员证", "Seafarer certificate"),
    Term("food_safety", "食品安全培训证", "Food-safety training"),
    Term("work_at_height", "高处作业证", "Work-at-height permit"),
    Term("tour_guide_licence", "导游证", "Tour-guide licence"),
    Term("care_worker", "养老护理员证", "Care-worker certificate"),
)


@dataclass(frozen=True)
class District:
    code: str
    zh: str
    en: str
    lat: float
    lon: float

    def label(self, locale: str) -> str:
        return self.en if locale.startswith("en") else self.zh


# Weihai's districts, county-level cities and development zones, with their centres.
DISTRICTS: tuple[District, ...] = (
    District("huancui", "环翠区", "Huancui District", 37.5097, 122.1205),
    District("wendeng", "文登区", "Wendeng District", 37.1939, 122.0579),
    District("rongcheng", "荣成市", "Rongcheng", 37.1652, 122.4867),
    District("rushan", "乳山市", "Rushan", 36.9191, 121.5398),
    District("gaoqu", "高区", "Torch Hi-tech Zone", 37.5218, 122.0436),
    District("jingqu", "经区", "Economic & Technological Development Zone", 37.4578, 122.1773),
    District("lingang", "临港区", "Lingang Economic Zone", 37.3669, 121.9937),
    District("nanhai", "南海新区", "Nanhai New Area", 36.9816, 121.9660),
)

FIRM_SIZES: tuple[Term, ...] = (
    Term("micro", "微型", "Micro"),
    Term("small", "小型", "Small"),
    Term("medium", "中型", "Medium"),
    Term("large", "大型", "Large"),
)

PRIORITY_GROUPS: tuple[Term, ...] = (
    Term("recent_graduate", "离校两年内高校毕业生", "Graduate within two years"),
    Term("registered_unemployed", "登记失业人员", "Registered unemployed"),
    Term("employment_difficulty", "就业困难人员", "Person with employment difficulty"),
    Term("zero_employment_family", "零就业家庭成员", "Member of a zero-employment family"),
    Term("disabled", "残疾人", "Person with a disability"),
    Term("veteran", "退役军人", "Veteran"),
    Term("poverty_alleviated", "脱贫人口", "Person lifted out of poverty"),
)

PROVINCES: tuple[str, ...] = (
    "山东", "河南", "河北", "山西", "安徽", "江西", "湖北", "湖南", "四川", "重庆", "贵州",
    "云南", "广西", "甘肃", "宁夏", "青海", "陕西", "内蒙古", "黑龙江", "吉林", "辽宁",
    "新疆", "西藏", "江苏", "浙江", "福建", "广东", "海南", "北京", "天津", "上海",
)
HOME_PROVINCE = "山东"

SKILL_CODES = frozenset(t.code for t in SKILLS)
CERTIFICATE_CODES = frozenset(t.code for t in CERTIFICATES)
CATEGORY_CODES = frozenset(t.code for t in CATEGORIES)
DISTRICT_CODES = frozenset(d.code for d in DISTRICTS)
FIRM_SIZE_CODES = frozenset(t.code for t in FIRM_SIZES)
PRIORITY_GROUP_CODES = frozenset(t.code for t in PRIORITY_GROUPS)
DISTRICTS_BY_CODE = {d.code: d for d in DISTRICTS}
_TERMS = {t.code: t for t in (*CATEGORIES, *SKILLS, *CERTIFICATES, *FIRM_SIZES, *PRIORITY_GROUPS)}


def label(code: str | None, locale: str = "zh_CN") -> str:
    """Human label for any taxonomy or district code, in the given locale."""
    if not code:
        return ""
    term = _TERMS.get(code) or DISTRICTS_BY_CODE.get(code)
    return term.label(locale) if term else code
