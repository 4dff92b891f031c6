/* waitid(WSTOPPED|WNOHANG) on a child stopped by SIGSTOP: si_code must be
   CLD_STOPPED and si_status SIGSTOP (man 2 waitid).
     bazel build //containers/probes:waitid_stopped_child
     runsc --network=none do bazel-bin/containers/probes/waitid_stopped_child */
#define _GNU_SOURCE
#include <stdio.h>
#include <signal.h>
#include <unistd.h>
#include <sys/wait.h>
int main(){ setvbuf(stdout,0,_IONBF,0);
  pid_t c=fork(); if(c==0){ for(;;) pause(); }
  usleep(200000); kill(c,SIGSTOP); usleep(200000);
  siginfo_t w={0}; int r=waitid(P_PID,c,&w,WSTOPPED|WNOHANG);
  printf("waitid(WSTOPPED|WNOHANG) on a SIGSTOPped child: ret %d si_pid %d si_code %d (CLD_STOPPED=%d) si_status %d\n",r,w.si_pid,w.si_code,CLD_STOPPED,w.si_status);
  kill(c,SIGKILL); waitpid(c,0,0); return 0; }
