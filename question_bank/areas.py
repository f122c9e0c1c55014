"""Names of the knowledge areas and levels, and a keyword guess of a question's area.

The guess helps an importer pre-fill 知识领域 for questions from a text dump; a trainer
confirms it. Keywords follow the topics of the standard (shared/standard.md §4).
"""
from __future__ import annotations

import functools
from dataclasses import dataclass

from question_bank.normalize import to_simplified
from question_bank.records import AREA_CODES

AREA_NAMES: dict[str, str] = {
    "B11": "电信基础知识",
    "B12": "服务礼仪及行为规范",
    "B21": "专业基本知识",
    "B22": "重点业务知识",
    "B23": "服务营销知识",
    "B30": "法律知识",
    "W01": "客户关怀",
    "W02": "流失预警",
    "W03": "维系挽留",
    "W04": "价值提升",
    "W05": "投诉处理",
    "W06": "数据分析与维系策略",
    "W07": "培训指导与团队管理",
}

LEVEL_NAMES: dict[str, str] = {"L4": "四级", "L3": "三级", "L2": "二级", "L1": "一级"}

#: Keywords per area, in Simplified script; Latin ones are matched case-insensitively.
AREA_KEYWORDS: dict[str, tuple[str, ...]] = {
    "B11": (
        "电信基础", "基础电信业务", "电信业务分类", "移动网络", "移动通信", "CDMA", "GSM", "WCDMA", "LTE", "4G", "5G",
        "3G", "宽带接入", "光纤", "光猫", "FTTH", "FTTB", "ADSL", "OLT", "ONU", "PON", "三网融合", "计费", "号段",
        "天翼", "基站", "预付费", "后付费", "付费方式", "商用牌照", "固话", "频段", "带宽", "上行速率", "下行速率",
        "IPTV", "时分多址", "码分多址", "电信重组", "VoLTE", "物联网",
        "10000号", "10001", "Wi-Fi", "WiFi", "路由器", "网线", "漫游", "5GHz", "2.4GHz", "NB-IoT", "FTTR", "天翼云", "Mbps", "MB/s", "测速", "组网", "信号", "光纤到", "语音", "有线",
    ),
    "B12": (
        "礼仪", "仪容", "仪表", "仪态", "着装", "职业装", "妆容", "发型", "微笑", "站姿", "坐姿", "手势", "握手",
        "名片", "接待", "送别", "引导客户", "电梯", "文明用语", "服务用语", "禁忌语", "十字文明用语", "电话礼仪",
        "接听电话", "铃响", "挂断电话", "结束语", "职业守则", "职业道德", "行为规范", "保密", "上座", "称呼", "介绍",
        "三声", "来有迎声", "楼梯", "递送", "西装", "三色原则", "插队", "请客户等待",
        "唱收唱找", "唱收", "暂停服务", "起身相迎", "起身", "目光", "点头", "7/38/55", "语音语调", "肢体", "六忌", "礼仪原则", "适度原则", "从俗", "平等原则", "迅速、准确、安全、方便", "服务理念", "用户至上", "双手", "坐姿", "营业员", "柜台", "奉茶", "递还", "递交", "得体", "着装规范", "面部表情",
    ),
    "B21": (
        "专业基本知识", "维系系统", "CRM", "客户关系管理", "客户生命周期", "生命周期", "识别期", "成长期", "稳定期",
        "客户价值", "潜在价值", "RFM", "五分体系", "客户满意", "客户忠诚", "忠诚度", "满意度", "客户细分",
        "派发", "闭环管理", "维系工作流程", "客户分级", "客户识别", "客户分群", "分级分群", "二八法则",
        "被动流失", "主动流失", "生命周期价值", "客户信息视图",
        "五分", "分档", "分期", "分群", "让渡价值", "转换壁垒", "转换成本", "态度忠诚", "行为忠诚", "虚假忠诚", "潜在忠诚", "真正忠诚", "新客户", "老客户", "终身价值", "潜在价值", "当前价值", "360度", "感知与期望", "RFM模型", "被动流失",
    ),
    "B22": (
        "重点业务", "套餐", "融合套餐", "增值业务", "存费送费", "预存", "合约", "合约机", "合约期", "续约", "终端",
        "终端补贴", "资费", "副卡", "主卡", "流量包", "天翼云", "彩铃", "违约责任", "提前解约", "功能费", "月租",
        "定向流量", "翼支付",
        "主副卡", "二次捆绑", "租机", "话费补贴", "补贴到期", "包年", "日包", "月包", "最低消费", "合约机", "存费送机", "购机送费", "视频会员", "限速", "不限量", "功能费", "退订", "免费试用",
    ),
    "B23": (
        "服务营销", "服务特性", "无形性", "差异性", "同步性", "不可分离性", "易逝性", "不可储存", "关系营销",
        "客户经理制", "销售步骤", "异议处理", "客户异议", "异议", "外呼营销", "电话营销", "顾问式销售", "需求挖掘",
        "FABE", "SPIN", "促成", "成交", "营销话术", "推荐产品", "有形产品", "无形", "储存",
        "太极法", "补偿法", "询问法", "忽视法", "否认法", "成交法", "有形展示", "响应性", "可靠性", "移情性", "保证性", "有形性", "服务质量", "顾问式", "介绍法", "提问法", "背景问题", "暗示问题",
    ),
    "B30": (
        "法律", "法规", "条例", "电信条例", "电信服务规范", "消费者权益", "消费者权益保护法", "合同法", "民法典",
        "反不正当竞争法", "个人信息保护法", "网络安全法", "违约金", "通信秘密", "知情权", "自主选择权",
        "公平交易权", "经营许可证", "欺诈", "人民法院", "仲裁", "法定", "依法",
        "实名", "真实身份", "个人信息", "敏感个人信息", "单独同意", "格式条款", "商业诋毁", "虚假宣传", "引人误解", "电信内容", "求偿权", "安全保障权", "公安机关", "《", "违法", "合规",
    ),
    "W01": (
        "关怀", "客户关怀", "关怀计划", "关怀短信", "回访", "回访频率", "电话回访", "节日", "节日关怀", "祝福",
        "生日", "生日关怀", "账单提醒", "余额提醒", "欠费提醒", "到期提醒", "上门拜访", "关怀渠道", "问候",
        "温馨提示", "贺卡", "礼品", "客户俱乐部", "积分", "出账", "消费明细", "分级关怀", "商业性短信",
        "价值等级",
        "星级", "首月", "免打扰", "积分兑换", "积分到期", "关怀计划", "关怀短信", "关怀活动", "故障修复后", "回访时",
    ),
    "W02": (
        "流失预警", "预警", "预警期", "预警模型", "预警名单", "预警信号", "零通话", "低通话", "通话下降",
        "消费下降", "离网倾向", "离网迹象", "离网风险", "转网倾向", "流失风险", "异网", "交往圈", "携号转网资格",
        "授权码", "高风险名单", "沉默用户", "停机", "流失迹象", "携号转网", "转网", "通信需求转移", "通话约",
        "零离低欠", "沉没", "沉没点", "离网点", "预警任务完成率", "动态保有率", "查全率", "查准率", "预警名单", "120日", "携转", "零使用", "用量下降", "使用量下降", "预警信号", "风险评分", "园区",
    ),
    "W03": (
        "维系挽留", "挽留", "存费维系", "存费", "二次续约", "续约", "拆机", "拆机挽留", "离网挽留", "离网赢回",
        "赢回", "销户", "注销", "移机", "维系政策", "维系方案", "挽留成功率", "资源倾斜", "合约到期", "到期客户",
        "维系资源", "挽回", "离开本网", "重新使用", "更低资费", "注销手机",
        "圈子", "亲缘", "业缘", "地缘", "政企融合", "一户一策", "资源倾斜", "挽留成功率", "移机", "二次续约", "携出", "携回", "回归", "拆除", "要求离网", "挽留政策",
    ),
    "W04": (
        "价值提升", "融合业务", "套餐适配", "套餐升档", "升档", "降档", "迁转", "商机", "商机管理", "交叉销售",
        "向上销售", "提升ARPU", "提升价值", "千兆", "升级宽带", "推广", "套餐不饱和", "流量超出", "叠加包",
        "手机+宽带", "增值业务", "套餐档位", "档位", "超套", "饱和度", "套餐迁转", "二次确认", "升级",
        "交叉", "向上",
        "不饱和", "交叉销售", "向上销售", "提值", "融合推广", "5G手机", "换机", "视频看护", "全屋Wi-Fi", "商机转化", "升档后", "加装", "融合入户", "5G套餐",
    ),
    "W05": (
        "投诉", "投诉处理", "受理投诉", "申诉", "安抚", "情绪安抚", "情绪激动", "首问负责", "首问责任",
        "道歉", "歉意", "补救", "补偿", "升级处理", "越级投诉", "先处理心情", "不满", "抱怨", "倾听", "共情",
        "推诿", "处理权限", "投诉升级", "重复投诉", "负责到底", "第一个接待", "争议",
        "3F", "Feel", "Felt", "Found", "12300", "书面答复", "冰山", "重复投诉", "首问", "情绪激动", "致歉", "申诉受理",
    ),
    "W06": (
        "数据分析", "维系策略", "ARPU", "DOU", "MOU", "离网率", "流失率", "保有率", "拍照用户", "拍照",
        "在网时长", "策略制定", "投入产出", "ROI", "回报率", "指标分析", "用户数", "同比", "环比", "数据",
        "高价值、高离网风险", "策略", "指标", "成本", "收益", "保有", "月均ARPU",
        "百分点", "对照组", "辛普森", "幸存者偏差", "选择偏差", "增量收益", "ROI为", "随机分组", "维系预算", "离网率由", "保有率", "挽留成功率为", "分层比较", "客户结构",
    ),
    "W07": (
        "培训", "培训指导", "团队管理", "带教", "新员工", "经验萃取", "考核", "考核指标", "辅导", "教练",
        "GROW", "SMART", "双因素", "激励", "团队", "班组", "绩效", "柯克帕特里克", "培训效果", "授课",
        "课程开发", "内训师", "反馈", "马斯洛", "需求层次", "员工",
        "STAR", "柯氏", "反应层", "学习层", "行为层", "结果层", "情境领导", "授权型", "指导型", "公平理论", "复盘", "主管", "骨干", "带教师傅", "绩效面谈", "培训需求",
    ),
}

#: Multiplier for hits found only in the heading (a section title covers many questions loosely).
HEADING_WEIGHT = 0.6


@dataclass(frozen=True)
class AreaGuess:
    code: str
    score: float
    hits: tuple[str, ...]


def _weight(keyword: str) -> float:
    # Longer keywords are more specific; a Latin letter or digit counts half a Han character (ARPU ≈ 两个字).
    n = sum(1.0 if ord(c) > 0x2E7F else 0.5 for c in keyword)
    return max(n, 1.0) ** 1.5


@functools.cache
def _index() -> dict[str, tuple[tuple[str, str, str, float], ...]]:
    """First character → (area, keyword as matched, keyword as shown, weight) for every keyword."""
    index: dict[str, list[tuple[str, str, str, float]]] = {}
    for code in AREA_CODES:
        for kw in {*AREA_KEYWORDS[code], AREA_NAMES[code]}:
            low = kw.lower()
            index.setdefault(low[0], []).append((code, low, kw, _weight(kw)))
    return {ch: tuple(sorted(entries)) for ch, entries in index.items()}


@functools.lru_cache(maxsize=256)
def _prepare_heading(heading: str) -> str:
    return to_simplified(heading).lower() if heading else ""


def area_scores(text: str, heading: str = "") -> dict[str, tuple[float, tuple[str, ...]]]:
    """Every area whose keywords occur in ``text`` (or only in ``heading``): its score and the keywords found.

    Every keyword found adds its weight to its area (keywords found only in the heading count
    ``HEADING_WEIGHT`` as much); keywords are listed heaviest first.
    """
    body = to_simplified(text).lower() if text else ""
    head = _prepare_heading(heading)
    if not body and not head:
        return {}
    index = _index()
    scores: dict[str, float] = {}
    hits: dict[str, list[tuple[float, str]]] = {}
    for ch in set(body) | set(head):
        for code, kw, shown, weight in index.get(ch, ()):
            if kw in body:
                w = weight
            elif head and kw in head:
                w = weight * HEADING_WEIGHT
            else:
                continue
            scores[code] = scores.get(code, 0.0) + w
            hits.setdefault(code, []).append((-w, shown))
    return {code: (round(scores[code], 3), tuple(shown for _, shown in sorted(hits[code]))) for code in scores}


def suggest_area(text: str, heading: str = "") -> AreaGuess | None:
    """The most likely area of a question from its text (and the heading of its section), or None.

    The area with the highest ``area_scores`` wins, ties going to the earlier code.
    """
    scores = area_scores(text, heading)
    if not scores:
        return None
    best = max(AREA_CODES, key=lambda c: scores[c][0] if c in scores else 0.0)
    return AreaGuess(best, *scores[best])
