-- Chat-like message content for scripts/bench-backup (BENCH_CONTENT=chat, the default): customer questions and bot
-- answers made of sentences drawn from a vocabulary of everyday support words, so the database compresses like real
-- conversations (roughly 3×) instead of like random hex (zlib's near worst case). Creates bench_sentences; the script
-- fills messages from it and drops it.
CREATE TABLE bench_vocab (i INTEGER PRIMARY KEY, w TEXT NOT NULL);
INSERT INTO bench_vocab (i, w) SELECT key, value FROM json_each('[
"hello","hi","good","morning","afternoon","evening","thanks","thank","you","please","sorry","okay","sure","yes","no",
"order","orders","delivery","deliver","delivered","shipping","parcel","package","tracking","number","courier","driver",
"address","street","city","postal","code","today","tomorrow","yesterday","week","weekend","monday","tuesday","wednesday",
"thursday","friday","saturday","sunday","hours","minutes","open","closed","opening","time","times","store","shop","branch",
"price","prices","cost","total","discount","voucher","coupon","promotion","special","offer","sale","refund","return",
"exchange","cancel","cancelled","payment","pay","paid","card","cash","eft","invoice","receipt","account","balance",
"login","password","reset","email","phone","call","message","reply","chat","agent","human","support","team","manager",
"help","question","problem","issue","error","wrong","missing","broken","damaged","late","early","still","waiting",
"when","where","what","why","how","which","who","can","could","would","should","will","is","are","was","were","do",
"does","did","have","has","had","get","got","need","want","like","check","send","sent","receive","received","arrive",
"arrived","change","update","confirm","confirmed","booking","appointment","available","availability","stock","size",
"colour","small","medium","large","extra","black","white","blue","red","green","item","items","product","products",
"menu","pizza","burger","coffee","salad","chicken","vegetarian","table","reservation","people","guests","service",
"warranty","repair","install","installation","technician","visit","quote","estimate","plan","subscription","monthly",
"annual","upgrade","downgrade","data","airtime","bundle","network","signal","router","wifi","internet","speed","slow",
"fast","the","a","an","my","your","our","their","it","this","that","these","those","i","we","they","he","she","me",
"us","them","and","or","but","so","because","if","then","also","just","only","very","really","again","already","soon",
"now","later","before","after","with","without","for","from","to","in","on","at","by","of","about","into","over",
"under","between","up","down","out","off","here","there","all","any","some","every","each","more","less","most",
"best","better","new","old","same","other","next","last","first","second","free","full","half","one","two","three",
"five","ten","days","day","month","year","rand","amount","fee","charge","charged","twice","policy","terms","details",
"information","link","website","app","download","click","button","page","form","fill","sign","register","registered",
"name","surname","id","reference","ticket","case","status","processing","pending","approved","declined","ready",
"collect","collection","pickup","dropoff","weight","kg","box","boxes","label","fragile","insurance","claim","photo",
"picture","screenshot","attach","attached","document","copy","original","happy","unhappy","great","terrible","fine"]');
CREATE TABLE bench_sentences (i INTEGER PRIMARY KEY, sentence TEXT NOT NULL);
-- 4 000 sentences of 4–20 words (the n.value * 0 terms make the subqueries correlated, so random() runs per row).
INSERT INTO bench_sentences (i, sentence)
  SELECT n.value, (SELECT upper(substr(t, 1, 1)) || substr(t, 2) || CASE n.value % 4 WHEN 0 THEN '?' ELSE '.' END
                   FROM (SELECT group_concat(w, ' ') AS t
                         FROM (SELECT (SELECT w FROM bench_vocab WHERE i = (abs(random()) + g.value * 0) % (SELECT count(*) FROM bench_vocab)) AS w
                               FROM generate_series(1, 4 + (abs(random()) + n.value * 0) % 17) g)))
  FROM generate_series(0, 3999) n;
DROP TABLE bench_vocab;
