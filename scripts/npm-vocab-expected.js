// Encodes test strings with the npm package's own GPT-2 encoder, so the C++
// tests compare against ids computed independently of ssmc's tokenizer.
//   node npm-vocab-expected.js PACKAGE_DIR STRINGS.json OUT.json
// Out: [{"text": ..., "ids": [...]}, ...]. Strings holding the special token
// are encoded piecewise (the package treats it as plain text).
const fs = require('fs');
const [pkgDir, stringsPath, outPath] = process.argv.slice(2);
const { encode } = require(pkgDir);
const special = '<|endoftext|>', specialId = 50256;
const strings = JSON.parse(fs.readFileSync(stringsPath, 'utf-8'));
const out = strings.map(text => {
  const ids = [];
  text.split(special).forEach((part, i) => {
    if (i > 0) ids.push(specialId);
    ids.push(...encode(part));
  });
  return { text, ids };
});
fs.writeFileSync(outPath, JSON.stringify(out, null, 1));
