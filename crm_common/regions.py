"""Region names that prefix or qualify Chinese company names, e.g. 北京XX科技有限公司.

Provinces, autonomous regions and the larger cities, each also with its 省/市 form.
"""
PROVINCES = (
    "北京 天津 上海 重庆 河北 山西 辽宁 吉林 黑龙江 江苏 浙江 安徽 福建 江西 山东 河南 湖北 湖南 "
    "广东 海南 四川 贵州 云南 陕西 甘肃 青海 台湾 内蒙古 广西 西藏 宁夏 新疆 香港 澳门"
).split()
CITIES = (
    "深圳 广州 杭州 南京 苏州 成都 武汉 西安 长沙 郑州 青岛 济南 宁波 厦门 福州 合肥 无锡 东莞 佛山 "
    "大连 沈阳 长春 哈尔滨 石家庄 太原 南昌 南宁 昆明 贵阳 兰州 海口 珠海 温州 常州 徐州 烟台"
).split()
SUFFIXES = ("省", "市", "自治区", "特别行政区")

# Longest first, so 北京市 is taken before 北京.
CHINESE = sorted({n + s for n in PROVINCES + CITIES for s in ("",) + SUFFIXES} | {"中国"}, key=len, reverse=True)
LATIN = {"china", "beijing", "shanghai", "shenzhen", "guangzhou", "hangzhou", "nanjing", "suzhou", "chengdu",
         "wuhan", "tianjin", "chongqing", "xiamen", "hongkong"}
