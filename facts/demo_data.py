"""Chinese names and texts the demo county (``facts.demo``) draws from.

Plain data, kept apart from the generator so the generator reads as logic. Changing a list
changes the demo county for every seed; order matters (draws index into these tuples).
"""

from __future__ import annotations

SURNAMES = tuple(
    "向舒张王李刘陈杨黄周吴谢邓贺彭唐易石梁罗米戴肖蒋胡曾瞿钟龙莫谭邹田满严夏"
    "段雷侯伍邱覃聂钱姚蔡潘朱郭何宋丁"
)
GIVEN_CHARS = tuple(
    "志建国华明军平伟红英丽芳勇强斌杰涛波辉刚文武新春海燕玲霞敏静立东林峰"
    "云龙凤德成光荣宏亮清秀兰梅松柏进兴福祥胜利卫民永长家庆宇航晓雪"
)

TOWNSHIPS = (
    "卢峰镇", "大江口镇", "低庄镇", "桥江镇", "龙潭镇", "均坪镇", "观音阁镇", "思蒙镇",
    "双井镇", "黄茅园镇", "水东镇", "统溪河镇", "深子湖镇", "祖师殿镇", "北斗溪镇", "三江镇",
    "两丫坪镇", "葛竹坪镇", "谭家湾镇", "油洋乡", "中都乡", "龙庄湾乡", "淘金坪乡", "沿溪乡",
    "舒溶溪乡", "岗东乡", "小横垅乡", "横板桥乡", "兴隆街乡", "九溪江乡", "虎皮溪乡", "木溪乡",
    "桐木溪乡", "罗家冲乡", "红花园乡", "洑水湾乡", "让家溪乡", "麻阳水乡", "舒家湾乡", "花桥乡",
    "新田乡", "金家洞乡", "龙头庵乡",
)  # fmt: skip

# County organs with their own party committee or party group (党委／党组). The coal bureau
# has the fixed id U-COAL (the worked case of the article); the others are U-O01 ... U-O54.
COAL_BUREAU = "县煤炭局"
ORGANS = (
    "县委办公室", "县委组织部", "县委宣传部", "县委统战部", "县委政法委员会", "县纪委县监委机关",
    "县直机关工委", "县人大常委会机关", "县人民政府办公室", "县政协机关", "县发展和改革局",
    "县教育局", "县科技和工业信息化局", "县公安局", "县民政局", "县司法局", "县财政局",
    "县人力资源和社会保障局", "县自然资源局", "县环境保护局", "县住房和城乡建设局",
    "县交通运输局", "县水利局", "县农业农村局", "县商务局", "县文化旅游广电体育局",
    "县卫生健康局", "县退役军人事务局", "县应急管理局", "县审计局", "县市场监督管理局",
    "县统计局", "县医疗保障局", "县林业局", "县城市管理和综合执法局", "县乡村振兴局", "县信访局",
    "县行政审批服务局", COAL_BUREAU, "县人民法院", "县人民检察院", "县总工会", "共青团溆浦县委",
    "县妇女联合会", "县供销合作社", "县畜牧水产事务中心", "县粮食局", "县融媒体中心",
    "县机关事务服务中心", "县税务局", "县烟草专卖局", "县人民医院", "县国有资产事务中心",
    "县移民开发局",
)  # fmt: skip
# The organ the small county units' party branches report to.
ORGAN_WORK_COMMITTEE = "县直机关工委"

# County units whose party organisation is a single branch (under 县直机关工委). With the 54
# organs they make the 79 county units of the post-Spring-Festival special inspection.
DIRECT_UNITS = (
    "县档案馆", "县地方志编纂室", "县气象局", "县地震局", "县科学技术协会", "县文学艺术界联合会",
    "县残疾人联合会", "县工商业联合会", "县红十字会", "县委党校", "县委党史研究室", "县委机要局",
    "县委编办", "县委老干部局", "县政府发展研究中心", "县公共资源交易中心", "县不动产登记中心",
    "县疾病预防控制中心", "县中医医院", "县妇幼保健院", "县职业中专学校", "县殡葬管理所",
    "县公路建设养护中心", "县水文站", "县园林绿化中心",
)  # fmt: skip

VILLAGE_HEADS = tuple("桃花杨柳枫竹松茶梅石岩龙凤金银高大小新长黄白青红双马牛鹿狮樟")
VILLAGE_TAILS = tuple("坪溪冲湾坳塘岭山田垅洞桥湖园林坡江庄头口")
COMMUNITIES = ("城东", "城西", "城南", "城北", "新街", "河东", "河西", "老街")
ORDINALS = tuple("一二三四五六七八九十")

GROUPS = tuple(f"第{n}督导组" for n in ORDINALS[:9])
SPECIAL_GROUP = "春节后作风纪律专项督查组"
SPECIAL_THEME = "春节后上班情况及作风纪律"
ROUTINE_THEMES = (
    "党建工作责任制落实",
    "\u201c三会一课\u201d制度执行",
    "软弱涣散党组织整顿",
    "工作台账填报",
)

# (problem, severity) found by routine inspections.
ROUTINE_PROBLEMS = (
    ("工作台账填报不及时、内容不完整", "minor"),
    ("\u201c三会一课\u201d记录不全，组织生活不规范", "minor"),
    ("党员发展程序不规范", "minor"),
    ("党费收缴不及时", "minor"),
    ("未按要求到联系点指导党建工作", "minor"),
    ("软弱涣散党组织整顿措施不力，进展缓慢", "serious"),
    ("党风廉政建设责任未分解落实", "serious"),
    ("对群众反映强烈的问题长期不予解决", "serious"),
    ("班子成员履行\u201c一岗双责\u201d不到位，问题整改敷衍", "serious"),
    ("党建工作台账弄虚作假", "grave"),
)
SPECIAL_PROBLEMS = (
    ("个别干部节后上班迟到", "minor"),
    ("考勤登记不规范", "minor"),
    ("值班制度落实不到位", "minor"),
    ("节后收心不到位，工作纪律松弛", "minor"),
    ("上班时间浏览与工作无关的网页", "minor"),
    ("工作人员上班时间脱岗外出", "serious"),
)

# Violation descriptions per category.
VIOLATIONS = {
    "work_discipline": ("上班时间擅离职守", "工作日中午饮酒", "上班时间玩网络游戏", "多次无故旷工"),
    "conduct": ("违规操办婚丧喜庆事宜", "公车私用", "违规发放津补贴", "对群众态度生硬、推诿扯皮"),
    "integrity": ("违规收受礼品礼金", "违规接受管理服务对象宴请", "利用职务之便为亲属谋利"),
    "corruption": ("虚报冒领扶贫资金", "挪用集体资金", "收受工程承包人贿赂", "套取惠农补贴资金"),
    "other": ("违规参与民间借贷", "泄露工作秘密", "超标准使用办公用房"),
}
OUTSIDE_ACTORS = ("村会计", "村报账员", "临时聘用人员", "村组长")

# Source codes of disunity reports, as 群众来信, 巡察反馈, 民主生活会检视, 信访举报, 督导组调研
# (petition reports load as unverified: verified defaults to false for them).
DISUNITY_SOURCES = ("petition", "inspection", "other", "petition", "investigation")

PROPOSAL_REASONS = (
    "脱贫攻坚工作中履职不力，群众反映强烈",
    "对本单位违规问题失察失管，造成不良影响",
    "落实党建工作责任不力，支部长期软弱涣散",
    "防汛救灾工作中组织不力，擅离职守",
    "信访问题处置不当，引发群体性上访",
    "班子成员之间相互推诿，重点工作严重滞后",
)

LEDGER_REASONS = {
    "missing": "未按时填报",
    "partial": "填报内容不完整",
    "done": "工作措施不力、落实不到位",
}

# The worked case of the article: fixed names and ids for every seed and scale.
# (person id suffix, name, role or None for staff, post start, post end)
COAL_PEOPLE = (
    ("01", "向志刚", "secretary", "2021-09-15", None),
    ("02", "舒建华", "discipline_secretary", "2022-03-01", None),
    ("03", "张国庆", "deputy_secretary", "2019-05-20", "2025-06-30"),
    ("04", "李红梅", "member", "2020-11-10", None),
    ("05", "陈立新", "member", "2023-02-01", None),
    ("06", "贺文斌", "deputy_secretary", "2025-07-01", None),
    ("S01", "刘洋", None, None, None),
    ("S02", "杨帆", None, None, None),
    ("S03", "黄小军", None, None, None),
    ("S04", "周丽", None, None, None),
    ("S05", "吴建平", None, None, None),
    ("S06", "谢勇", None, None, None),
    ("S07", "邓志明", None, None, None),
    ("S08", "彭艳", None, None, None),
)
COAL_GAMBLERS = ("P-COAL-S03", "P-COAL-S05", "P-COAL-S07")
COAL_BRANCH_SECRETARY = ("唐卫东", "2020-06-01")
