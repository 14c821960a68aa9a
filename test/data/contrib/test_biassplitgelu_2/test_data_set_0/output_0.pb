
ByJ sVÌ¿k¾é]ì¼jìy=Nr¾¬ðaÀ8E±½âvž@