"""The linter's word lists and patterns: data, edited here, read by the rules.

Texts are matched after NFKC and Traditional → Simplified folding (see ``LintItem.plain``).
"""
from __future__ import annotations

import re

#: absolute words (绝对化用语) → phrases containing them that are not absolute
ABSOLUTE_WORDS: dict[str, tuple[str, ...]] = {
    "一定": ("一定的", "一定程度", "一定金额", "一定数额", "一定时间", "一定时期", "一定期限", "一定数量", "一定比例",
             "一定范围", "一定条件", "一定额度", "一定费用", "一定优惠", "一定补偿", "一定积分", "一定话费", "一定流量",
             "一定周期", "一定阶段", "一定规模", "一定影响", "一定作用", "一定经验"),
    "所有": ("所有权", "所有制", "所有者", "所有人权"),
    "只要": (),
    "完全": ("完全民事",),
    "绝不": (),
    "绝对": ("绝对值",),
    "无需": (),
    "无须": (),
    "立即": (),
    "直接": ("直接损失", "直接经济", "直接成本", "直接原因", "直接上级", "直接主管", "直接领导", "直接责任"),
    "必须": (),
    "总是": (),
    "从不": (),
    "从来": (),
    "任何": (),
    "全部": (),
    "一律": (),
    "一概": (),
    "永远": (),
    "唯一": ("唯一性",),
    "只能": (),
    "只需": (),
    "只有": (),
    "一切": (),
    "凡是": (),
    "毫无": (),
    "彻底": (),
    "务必": (),
    "必然": (),
    "全都": (),
    "即可": (),
    "无论": (),
}
#: a word right after one of these is not absolute: 不一定, 并非所有, 未必直接
NEGATORS: tuple[str, ...] = ("不", "并非", "未必", "并不", "非")

#: hedging words (限定词) that give away *true* statements when only true statements carry them
HEDGE_WORDS: tuple[str, ...] = ("一般", "通常", "往往", "可能", "大多", "多数", "有时", "尽量", "原则上", "适当",
                                "酌情", "视情况")

#: how a negative stem is emphasised (the house convention): the negative word inside 【】, e.g. 下列说法【不】正确的是
EMPHASIS_RE = re.compile(r"【[^】]{0,8}?(?:不|错误|有误|除|没有|无关|非)[^】]{0,8}?】")
_NEG = r"(?:不(?:正确|恰当|妥当|妥|准确|合理|规范|合适|适当|符合|属于|包括|包含|是|应当|应该|应|宜|能|可以|可|得|需要|需|必|会|涉及|适用)|错误|有误|无关|没有)"
#: a negative question: the negative word then …的是 / …的有, or the negative word right before the blank
NEGATIVE_QUESTION_RES: tuple[re.Pattern[str], ...] = (
    re.compile(_NEG + r"[^,，。;；]{0,30}?(?:的是|的有|的为|的一项|的选项|的做法|的说法|的情形|的情况|的行为|的内容|的因素)"),
    re.compile(_NEG + r"\s*[(（]"),
    re.compile(r"哪[^,，。;；]{0,30}?" + _NEG),
    re.compile(_NEG + r"[^,，。;；]{0,30}?哪"),
)
#: 除…外 / 除…以外 anywhere in the stem
EXCEPT_RE = re.compile(r"除(?:了)?[^。;；]{0,40}?(?:以外|之外|外)")
#: sentence and clause ends: the question is asked in the stem's last clause
SENTENCE_END_RE = re.compile(r"[。;；!！?？\n]")
CLAUSE_END_RE = re.compile(r"[,，:：]")

#: 以上都是 / 以上都不是 and their relatives, matched on the folded option (lower case, no punctuation)
ALL_NONE_RES: tuple[re.Pattern[str], ...] = (
    re.compile(r"^(?:以上|上述|前述|前面)(?:各|所有|全部|几|两|三|四|五|六|七)?(?:项|个|种|条|选项|答案|说法|做法|内容|情况|措施|方式)?"
               r"(?:都|均|皆|全)(?:是|对|正确|属于|可以|适用|符合|不是|不对|不正确|错误|不属于|不可以|不适用|不符合)?$"),
    re.compile(r"^(?:以上|上述)(?:都|均|皆|全)?(?:不|没有|无)(?:是|对|正确)?$"),
    re.compile(r"^(?:全部|都|均)(?:是|对|正确|都对|都是)$"),
    re.compile(r"^[a-h](?:[和与及]?[a-h]){1,6}(?:都|均|皆|全)(?:是|对|正确|不是|不对|不正确|错误)?$"),
)

#: a law or regulation cited by name: 《…法》《…条例》《…规定》《…办法》
LAW_TITLE_RE = re.compile(r"《[^》]{1,40}?(?:法|法典|条例|规定|办法|规则|细则|司法解释)》")
#: laws often named without book-title marks
LAW_NAMES: tuple[str, ...] = ("民法典", "消费者权益保护法", "个人信息保护法", "网络安全法", "数据安全法", "合同法",
                              "反不正当竞争法", "电信条例", "电子商务法", "广告法", "劳动合同法", "劳动法")
LAW_AREA = "B30"

#: measure words and units after a number: what makes an answer a quantity (48 小时, 五个月)
UNITS: tuple[str, ...] = ("个月", "个工作日", "工作日", "小时", "分钟", "百分点", "个", "次", "天", "日", "年", "月", "周",
                          "秒", "级", "项", "步", "类", "种", "条", "家", "名", "位", "倍", "元", "人", "户", "张", "台",
                          "部", "期", "轮", "层", "点", "%", "折")
