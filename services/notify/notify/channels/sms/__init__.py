"""SMS to contacts through Aliyun SMS or Tencent Cloud SMS (their official SDKs sign every request), and
the providers' delivery receipts and replies."""
