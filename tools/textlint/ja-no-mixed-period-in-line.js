// The deck's house style for 句点, as a textlint rule (loaded with --rulesdir by tools/lint_japanese.py).
//
// A slide line is either one phrase without 「。」 (a lead line, a bullet) or sentences that all end
// in 「。」. What fails is a line that mixes the two: 「…する。…する」. The stock ja-no-mixed-period
// cannot say this: it wants every paragraph to end in 「。」, whatever it holds, and it skips list
// items. Marp renders every source line as its own line, so the unit here is the line, in
// paragraphs (list items too), headings and table cells. Inline code is not looked at.
"use strict";

const CLOSERS = "」』）)";
const INNER_PERIOD = new RegExp(`。(?![${CLOSERS}])\\s*\\S`); // a sentence ends mid-line
const ENDS_WITH_PERIOD = new RegExp(`。[${CLOSERS}]*$`);

module.exports = function (context) {
    const { Syntax, RuleError, report, getSource } = context;
    function check(node) {
        // Blank out inline code (same length, so offsets stay those of the source).
        const source = getSource(node).replace(/(`+)[\s\S]*?\1/g, (code) => code.replace(/[^\n]/g, "x"));
        let offset = 0;
        for (const line of source.split("\n")) {
            const text = line.trimEnd();
            if (INNER_PERIOD.test(text) && !ENDS_WITH_PERIOD.test(text)) {
                report(node, new RuleError(
                    "この行は「。」で終わる文と「。」のない文が混在しています。1 つの句にして「。」を外すか、すべての文を「。」で終えてください",
                    { index: offset + text.length - 1 }
                ));
            }
            offset += line.length + 1;
        }
    }
    return {
        [Syntax.Paragraph]: check,
        [Syntax.Header]: check,
        [Syntax.TableCell]: check,
    };
};
