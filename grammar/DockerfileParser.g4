// A Dockerfile as a sequence of blank lines, comments and instructions; an instruction is
// its first line, its continuation lines and the heredoc bodies it opens. LL(1) throughout:
// prediction never needs full-context LL. See DockerfileLexer.g4 for the tokens.
parser grammar DockerfileParser;

options { tokenVocab = DockerfileLexer; }

dockerfile : (BLANK | COMMENT | instruction)* EOF ;

instruction : (LINE | LINE_CONTINUED continuation) heredocs? ;

continuation : (CONTINUATION_COMMENT | CONTINUATION_BLANK | CONTINUATION_LINE)* CONTINUATION_END? ;

// The bodies in order, each ended by a HEREDOC_END line; the last one may lack its end at
// end of file, which the adapter reports as an unterminated heredoc.
heredocs : (HEREDOC_LINE | HEREDOC_END)+ ;
